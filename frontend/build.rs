//! Link arguments for the browser build (docs/build.md, "Splitting the
//! browser code"), here rather than in rustflags, which `RUSTFLAGS` would
//! replace and which would rebuild every dependency when changed.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        // tools/wasm-split reads the relocations to split the module at the
        // lazy routes.
        println!("cargo::rustc-link-arg-cdylib=--emit-relocs");
        // Hydration is async (app::hydrate), one call chain as deep as the
        // page's view: in a debug build its futures overflowed the default
        // 1 MiB stack, a "memory access out of bounds" in tachys. 8 MiB, in
        // release too (unused stack is only reserved address space).
        println!("cargo::rustc-link-arg-cdylib=-zstack-size=8388608");
    }
}
