//! `test-coordinator validate --file F [--strict] [--check-timing] [--json]`.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;
use serde_json::json;

use super::Context;
use crate::prepare::{format_diagnostic, prepare, PrepareOptions};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario or template file (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Strict mode: ask the services for their live capabilities and refuse
    /// parameters an action does not declare (config: validation.strict_mode).
    #[arg(long)]
    strict: bool,
    /// Also print the plan's timeline (timing is always checked).
    #[arg(long)]
    check_timing: bool,
    /// Print the diagnostics (and plan) as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(context: Context, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let strict = args.strict || context.config.validation.strict_mode;
    let prepared = prepare(
        &context.config,
        &context.library,
        &context.client,
        super::file_source(&args.file, None)?,
        PrepareOptions { strict },
    )
    .await?;
    let errors = prepared.has_errors();
    if args.json {
        let out = json!({
            "file": prepared.origin,
            "valid": !errors,
            "diagnostics": prepared.diagnostics,
            "plan": prepared.plan,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for diagnostic in &prepared.diagnostics {
            eprintln!("{}", format_diagnostic(&prepared.origin, diagnostic));
        }
        let warnings = prepared.diagnostics.len()
            - prepared
                .diagnostics
                .iter()
                .filter(|d| d.severity == app::scenario::diagnostic::Severity::Error)
                .count();
        if errors {
            eprintln!(
                "{}: invalid ({} errors, {warnings} warnings)",
                prepared.origin,
                prepared.diagnostics.len() - warnings
            );
        } else {
            println!("{}: valid ({warnings} warnings)", prepared.origin);
            if args.check_timing {
                if let Some(plan) = &prepared.plan {
                    print!("{}", plan.timeline_text());
                }
            }
        }
    }
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
