//! Build steps: rebuild when a migration changes (`sqlx::migrate!` embeds the SQL),
//! and embed the built-in library (`scenarios/*.yaml`, `scenarios/templates/*.yaml`)
//! so the binary has it wherever it is started (`library.rs`); and generate the
//! gRPC code (docs/grpc.md) from `proto/`.

use std::{fmt::Write as _, path::Path};

use prost::Message;

/// The proto files compiled (their imports come along).
const PROTOS: [&str; 3] = [
    "test_coordinator/v1/execution.proto",
    "test_coordinator/v1/management.proto",
    "google/rpc/status.proto",
];

fn main() {
    embed_library();
    generate_grpc();
}

/// protox compiles `proto/` in Rust (no system `protoc`); tonic-prost-build
/// writes the messages, servers and clients; the encoded descriptor set is
/// kept for the reflection service (`descriptors.bin`).
fn generate_grpc() {
    println!("cargo:rerun-if-changed=../proto");
    let descriptors = protox::compile(PROTOS, ["../proto"])
        .unwrap_or_else(|error| panic!("build.rs: proto/ does not compile: {error}"));
    let out = Path::new(&std::env::var("OUT_DIR").expect("build.rs: cargo sets OUT_DIR"))
        .join("descriptors.bin");
    std::fs::write(out, descriptors.encode_to_vec()).expect("build.rs: OUT_DIR is writable");
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)
        .unwrap_or_else(|error| panic!("build.rs: cannot generate the gRPC code: {error}"));
}

fn embed_library() {
    println!("cargo:rerun-if-changed=../migrations");
    // Read when the script runs, not when it is compiled: worktrees that
    // share one target directory may share this script's binary too.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").expect("build.rs: cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../scenarios");
    // A directory here makes cargo rescan it, so an added or edited file rebuilds.
    println!("cargo:rerun-if-changed={}", root.display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("templates").display()
    );
    let mut files = Vec::new();
    for folder in ["", "templates"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let yaml = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            );
            if path.is_file() && yaml {
                let name = entry.file_name().to_string_lossy().into_owned();
                let relative = if folder.is_empty() {
                    name
                } else {
                    format!("{folder}/{name}")
                };
                files.push((relative, path));
            }
        }
    }
    files.sort();
    let mut code = String::from("/// `(path under scenarios/, text)` of every built-in library file.\npub static FILES: &[(&str, &str)] = &[\n");
    for (relative, path) in &files {
        let absolute = path
            .canonicalize()
            .expect("build.rs: a library file found by read_dir can be canonicalised");
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display()
        )
        .expect("build.rs: writing to a String cannot fail");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("build.rs: cargo sets OUT_DIR"))
        .join("library.rs");
    std::fs::write(out, code).expect("build.rs: OUT_DIR is writable");
}
