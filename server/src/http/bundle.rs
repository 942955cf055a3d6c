//! The browser bundle (`/pkg/…`: the WASM, its JS loader and the CSS), as
//! `scripts/build-site.sh` leaves it (docs/build.md, "Serving the bundle"):
//! in a directory named by the hash of its contents, each file beside its
//! Brotli and gzip copies compressed once at build time. Served from the copy
//! the browser accepts, and cached for good: a new build is a new directory.

use std::path::Path;

use axum::{
    http::{header, HeaderValue},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// The file in `pkg/` that names the current build's directory.
pub const CURRENT: &str = "current";

/// The bundle's directory under the site root, as its URL path: `pkg/<hash>`
/// when the build wrote one, else `pkg` (a site built before hashing).
pub fn pkg_dir(site_root: &Path) -> String {
    std::fs::read_to_string(site_root.join("pkg").join(CURRENT))
        .ok()
        .map(|hash| hash.trim().to_owned())
        .filter(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map_or_else(|| "pkg".to_owned(), |hash| format!("pkg/{hash}"))
}

/// Serves `site_root/pkg_dir` at `/pkg_dir`: precompressed copies first,
/// `immutable` when the directory is a hash (else revalidated each time).
/// Beside the current bundle, the earlier ones that the build kept in `pkg/`
/// are served too: a page loaded before a new build fetches its lazy pages'
/// chunks from its own bundle (docs/build.md, "Splitting the browser code").
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &Path, pkg_dir: &str) -> Router<S> {
    if pkg_dir == "pkg" {
        return serve(site_root, pkg_dir, HeaderValue::from_static("no-cache"));
    }
    let mut dirs = earlier_bundles(site_root);
    dirs.retain(|dir| *dir != pkg_dir);
    dirs.push(pkg_dir.to_owned());
    dirs.iter().fold(Router::new(), |router, dir| {
        router.merge(serve(
            site_root,
            dir,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
    })
}

/// The `pkg/<hash>` directories in the site, as URL paths.
fn earlier_bundles(site_root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(site_root.join("pkg")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(|name| format!("pkg/{name}"))
        .collect()
}

fn serve<S: Clone + Send + Sync + 'static>(
    site_root: &Path,
    pkg_dir: &str,
    cache: HeaderValue,
) -> Router<S> {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new().nest_service(
        &format!("/{pkg_dir}"),
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                cache,
            ))
            .service(files),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_the_hash_the_build_wrote_or_plain_pkg() {
        let site = tempfile::tempdir().unwrap();
        assert_eq!(pkg_dir(site.path()), "pkg");
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        std::fs::write(site.path().join("pkg").join(CURRENT), "3f9a0c1d2e4b5a67\n").unwrap();
        assert_eq!(pkg_dir(site.path()), "pkg/3f9a0c1d2e4b5a67");
        // Anything but a hash (a path, say) is not followed.
        std::fs::write(site.path().join("pkg").join(CURRENT), "../../etc\n").unwrap();
        assert_eq!(pkg_dir(site.path()), "pkg");
    }

    #[tokio::test]
    async fn earlier_bundles_kept_by_the_build_are_still_served_for_good() {
        use tower::ServiceExt;

        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        for (dir, file) in [("aaaa1111", "chunk_1.wasm"), ("bbbb2222", "chunk_2.wasm")] {
            std::fs::create_dir_all(pkg.join(dir)).unwrap();
            std::fs::write(pkg.join(dir).join(file), b"\0asm").unwrap();
        }
        std::fs::write(pkg.join(CURRENT), "bbbb2222\n").unwrap();
        // Not a bundle: not served.
        std::fs::create_dir_all(pkg.join("not-a-hash")).unwrap();
        std::fs::write(pkg.join("not-a-hash").join("x.wasm"), b"x").unwrap();
        let app: Router = router(site.path(), &pkg_dir(site.path()));

        for (path, status) in [
            ("/pkg/bbbb2222/chunk_2.wasm", 200),
            ("/pkg/aaaa1111/chunk_1.wasm", 200),
            ("/pkg/aaaa1111/chunk_2.wasm", 404),
            ("/pkg/not-a-hash/x.wasm", 404),
            ("/pkg/current", 404),
        ] {
            let request = axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{path}");
            if status == 200 {
                assert_eq!(
                    response.headers()[header::CACHE_CONTROL],
                    "public, max-age=31536000, immutable",
                    "{path}"
                );
            }
        }
    }
}
