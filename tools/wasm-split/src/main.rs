//! `wasm-split IN.wasm OUT_DIR MAIN_OUT.wasm MAIN_JS`: splits the browser WASM
//! at the split points Leptos's `#[lazy]` and `#[lazy_route]` leave in it.
//!
//! It writes the main module to `MAIN_OUT.wasm` (for wasm-bindgen, run with
//! `--keep-lld-exports`), one WASM file per lazily loaded chunk and the
//! `__wasm_split.______________________.js` loader to `OUT_DIR`, and
//! `__wasm_split_manifest.json`, which Leptos's `HydrationScripts` reads to
//! preload the chunks of the page it renders. `MAIN_JS` is the path of
//! wasm-bindgen's loader as the split loader imports it (`./name.js`).
//!
//! cargo-leptos runs the same library for `--split`; this build does without
//! cargo-leptos (docs/build.md, "Splitting the browser code").

use std::{collections::BTreeMap, path::PathBuf};

use anyhow::{anyhow, bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output_dir, main_out, main_module] = args.as_slice() else {
        bail!("usage: wasm-split IN.wasm OUT_DIR MAIN_OUT.wasm MAIN_JS");
    };
    let wasm = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let output_dir = PathBuf::from(output_dir);
    let main_out = PathBuf::from(main_out);

    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = &output_dir;
    options.main_out_path = &main_out;
    options.main_module = main_module;
    // The name Leptos's `HydrationScripts` looks for when files are not hashed;
    // `app::SPLIT_LOADER` preloads it by this name.
    options.link_name = "./__wasm_split.______________________.js";
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow!("splitting the WASM: {error:?}"))?;

    // Sorted, so the same input makes the same manifest and bundle hash.
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    let manifest = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(output_dir.join("__wasm_split_manifest.json"), manifest)?;
    for module in &split.split_modules {
        println!("{}", module.display());
    }
    Ok(())
}
