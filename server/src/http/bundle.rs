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
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &Path, pkg_dir: &str) -> Router<S> {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    let cache = if pkg_dir == "pkg" {
        HeaderValue::from_static("no-cache")
    } else {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    };
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
}
