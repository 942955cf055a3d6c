//! `test-coordinator list [--category C] [--json]`.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::Context;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this category (market, trading, risk, operational, settlement, …).
    #[arg(long)]
    category: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let files: Vec<_> = context
        .library
        .files()
        .iter()
        .filter(|f| {
            args.category
                .as_deref()
                .is_none_or(|c| f.category.as_deref() == Some(c))
        })
        .collect();
    if args.json {
        let list: Vec<_> = files
            .iter()
            .map(|f| json!({"name": f.name, "kind": f.kind, "category": f.category, "description": f.description, "tags": f.tags, "file": f.location()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "scenarios": list }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let width = files.iter().map(|f| f.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:<width$}  {:<8}  {:<11}  DESCRIPTION",
        "NAME", "KIND", "CATEGORY"
    );
    for f in &files {
        println!(
            "{:<width$}  {:<8}  {:<11}  {}",
            f.name,
            f.kind,
            f.category.as_deref().unwrap_or("-"),
            f.description.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}
