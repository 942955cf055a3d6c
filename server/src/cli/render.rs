//! `test-coordinator render-template --template NAME --params FILE|k=v,… [--output F]`.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::Args;

use super::{parameters, Context};
use crate::prepare::{format_diagnostic, prepare, PrepareOptions};

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Template name in the library, or a template file.
    #[arg(long)]
    template: String,
    /// Parameters: a YAML/JSON file, or `k=v,k=v`.
    #[arg(long, alias = "parameters", value_name = "FILE|k=v,…")]
    params: Option<String>,
    /// Write the rendered scenario here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub async fn run(context: Context, args: RenderArgs) -> anyhow::Result<ExitCode> {
    let Some(values) = parameters(args.params.as_deref())? else {
        return Ok(ExitCode::from(2));
    };
    let source = super::template_source(args.template, values)?;
    let prepared = prepare(
        &context.config,
        &context.library,
        &context.client,
        source,
        PrepareOptions::default(),
    )
    .await?;
    for diagnostic in &prepared.diagnostics {
        eprintln!("{}", format_diagnostic(&prepared.origin, diagnostic));
    }
    let failed = prepared.has_errors();
    let Some(rendered) = prepared.rendered.filter(|_| !failed) else {
        return Ok(ExitCode::from(1));
    };
    match args.output {
        Some(path) => std::fs::write(&path, rendered)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{rendered}"),
    }
    Ok(ExitCode::SUCCESS)
}
