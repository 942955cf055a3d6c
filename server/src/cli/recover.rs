//! `test-coordinator recover`, and what every command that opens the local
//! database does first: notice executions whose owner is gone (a `kill -9`'d
//! `execute`, a crashed `serve`) and roll them back and mark them `interrupted`,
//! or at least say so on standard error.

use std::process::ExitCode;

use app::api::ExecutionStatus;
use clap::Args;
use serde::Serialize;

use super::Context;
use crate::{engine::owner::Orphan, startup::build_engine, store::Store};

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What a command does about executions whose owner is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphans {
    /// Say so on standard error (reading commands: logs, reports, …).
    Warn,
    /// Recover them before going on (`status`, `clear-chaos`, `recover`).
    Recover,
    /// Nothing: the command's own engine recovers them (`execute`).
    Leave,
}

/// Acts on orphans as `what` says; returns those recovered here.
pub(super) async fn notice(
    context: &Context,
    store: &Store,
    what: Orphans,
) -> anyhow::Result<Vec<Orphan>> {
    if what == Orphans::Leave {
        return Ok(Vec::new());
    }
    let orphans = store.orphaned_executions().await?;
    if orphans.is_empty() {
        return Ok(orphans);
    }
    if what == Orphans::Warn {
        for orphan in &orphans {
            eprintln!(
                "warning: execution {} ({}) is still {} but {}; `test-coordinator recover` rolls back its chaos",
                orphan.id,
                orphan.scenario,
                orphan.status,
                gone(orphan)
            );
        }
        return Ok(Vec::new());
    }
    for orphan in &orphans {
        eprintln!(
            "recovering execution {} ({}): {}; rolling back its chaos",
            orphan.id,
            orphan.scenario,
            gone(orphan)
        );
    }
    let engine = build_engine(&context.config, store, "recover");
    let recovered = engine.recover_orphans().await;
    engine.shutdown().await;
    Ok(recovered?)
}

fn gone(orphan: &Orphan) -> String {
    match &orphan.owner_label {
        Some(owner) => format!("its owner, {owner}, stopped renewing its lease"),
        None => "its owner is gone".to_owned(),
    }
}

/// One execution `recover` rolled back (`recover --json` → `recovered`).
#[derive(Serialize)]
struct Recovered {
    execution_id: String,
    scenario: String,
    /// Its state when its owner was found gone.
    was: ExecutionStatus,
    previous_owner: Option<String>,
    /// Its state now (`interrupted`).
    status: Option<ExecutionStatus>,
}

/// What `recover --json` prints.
#[derive(Serialize)]
struct RecoverOut<'a> {
    recovered: &'a [Recovered],
    suites_interrupted: u64,
}

/// `recover`: rolls back every execution whose owner is gone and marks it
/// `interrupted`; prints what it recovered.
pub async fn run(context: Context, args: RecoverArgs) -> anyhow::Result<ExitCode> {
    let store = context.open_store_with(Orphans::Leave).await?;
    let recovered = notice(&context, &store, Orphans::Recover).await;
    let mut rows = Vec::new();
    for orphan in recovered.iter().flatten() {
        let status = store.execution_status(orphan.id).await?;
        rows.push(Recovered {
            execution_id: orphan.id.to_string(),
            scenario: orphan.scenario.clone(),
            was: orphan.status,
            previous_owner: orphan.owner_label.clone(),
            status,
        });
    }
    // Suites whose driving process is gone can submit no more members.
    let suites = store.mark_unfinished_suites_interrupted().await;
    store.close().await;
    let recovered = recovered?;
    let suites = suites?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&RecoverOut {
                recovered: &rows,
                suites_interrupted: suites
            })?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if suites > 0 {
        println!("{suites} suite(s) whose process is gone ended interrupted");
    }
    if recovered.is_empty() {
        println!("nothing to recover: every unfinished execution has a live owner");
    } else {
        for row in &rows {
            println!(
                "recovered {} ({}): was {}, now {}",
                row.execution_id,
                row.scenario,
                row.was.as_str(),
                row.status.map_or("unknown", ExecutionStatus::as_str)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
