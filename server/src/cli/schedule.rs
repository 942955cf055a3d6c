//! `test-coordinator schedule add|list|show|enable|disable|trigger|remove`
//! (issue 18, docs/schedules.md): the REST API's schedules from a terminal.
//!
//! Schedules are kept and fired by a running `serve`, so every verb talks to
//! `--server` (or `TEST_COORDINATOR_URL`) with the typed `app::api::schedule`
//! bodies; there is no local mode, since a schedule stored here would never
//! fire. `--json` prints the server's answer as it is; a refusal prints the
//! server's message (which names the field) and exits 2.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{bail, Context as _};
use app::api::{
    schedule::{
        ConcurrencyPolicy, MissedPolicy, ScheduleDetail, ScheduleList, ScheduleRequest,
        ScheduleTiming, ScheduleTriggered, ScheduleView,
    },
    suite::{SuiteMode, SuiteRequest},
    ExecuteOptions,
};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{
    client::{print, segment},
    remote::Remote,
};

mod show;
use show::{print_detail, print_list, print_view};

/// `schedule …`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    command: ScheduleCommand,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Create a schedule: from a request file (--file), or from flags (a name,
    /// what it runs, when it fires, its options and policies).
    // `--version` is a scenario's version here, not the program's.
    #[command(disable_version_flag = true)]
    Add(Box<AddArgs>),
    /// List every schedule: id, name, next run (UTC), last result, enabled.
    List(JsonArgs),
    /// One schedule: its timing, policies, next runs and firings.
    Show(IdArgs),
    /// Let a schedule fire again (from its next due time; what fell while it
    /// was off is not run).
    Enable(IdArgs),
    /// Stop a schedule from firing (it is kept).
    Disable(IdArgs),
    /// Run a schedule now, whatever its timing says.
    Trigger(IdArgs),
    /// Delete a schedule and its firings (its executions stay in the history).
    Remove(IdArgs),
}

#[derive(Debug, Args)]
struct JsonArgs {
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct IdArgs {
    /// The schedule's id (as `schedule list` shows it).
    id: String,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

/// The flags of `schedule add`.
#[derive(Debug, Args)]
struct AddArgs {
    /// A whole request (`ScheduleRequest` as JSON or YAML; `-` reads standard
    /// input); the other flags are then not taken.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "name", "scenario", "scenario_id", "yaml_file", "template", "scenarios",
        "at", "delay", "every", "cron", "speed", "dry_run", "continue_on_failure",
        "repeat", "concurrency", "missed", "starting_deadline", "disabled",
        "expires_at", "max_executions",
    ])]
    file: Option<PathBuf>,
    /// A name for people (default: what it runs).
    #[arg(long)]
    name: Option<String>,

    /// Run a library scenario by name.
    #[arg(long, group = "source")]
    scenario: Option<String>,
    /// Run an uploaded scenario by id (--version: that version; without it,
    /// the latest when it fires).
    #[arg(long, group = "source", value_name = "ID")]
    scenario_id: Option<String>,
    /// With --scenario-id: that version.
    #[arg(long, value_name = "N")]
    version: Option<i64>,
    /// Run this scenario file (its text is sent; the server never reads a path).
    #[arg(long, group = "source", value_name = "FILE")]
    yaml_file: Option<PathBuf>,
    /// Run a library template by name (or a template file, rendered here),
    /// with --param.
    #[arg(long, group = "source")]
    template: Option<String>,
    /// A template parameter, `name=value` (repeat it for each).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// Template parameters as `execute` takes them: a YAML/JSON file, or `k=v,k=v`.
    #[arg(long, value_name = "FILE|k=v,…")]
    params: Option<String>,
    /// Run a suite of these scenarios, in this order: library names or
    /// scenario files, comma-separated.
    #[arg(long, group = "source", value_name = "A,B,…", value_delimiter = ',')]
    scenarios: Option<Vec<String>>,

    /// Fire once, at this instant (RFC 3339 with an offset, e.g. 2026-12-24T02:00:00Z).
    #[arg(long, group = "timing", value_name = "RFC3339")]
    at: Option<String>,
    /// Fire once, this many seconds from now.
    #[arg(long, group = "timing", value_name = "SECONDS")]
    delay: Option<u64>,
    /// Fire every this many seconds, from now.
    #[arg(long, group = "timing", value_name = "SECONDS")]
    every: Option<u64>,
    /// Fire on a cron calendar: 5 fields (minute first) or 6 (seconds first).
    #[arg(
        long,
        group = "timing",
        value_name = "EXPR",
        allow_hyphen_values = true
    )]
    cron: Option<String>,
    /// With --cron: its IANA time zone (default UTC).
    #[arg(long, value_name = "TZ")]
    time_zone: Option<String>,
    /// Stop after this many executions (with --every: the periodic schedule's
    /// own cap; otherwise policies.max_executions).
    #[arg(long, value_name = "N")]
    max_executions: Option<u32>,

    /// Time scale of each run: 3600 runs an hour of scenario in a second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Each run calls nothing and records the plan's timeline.
    #[arg(long)]
    dry_run: bool,
    /// Each run keeps going after a failed phase.
    #[arg(long)]
    continue_on_failure: bool,
    /// Each run runs the phases this many times (not for --scenarios).
    #[arg(long, default_value_t = 1)]
    repeat: u32,

    /// When the previous run is still going: skip this firing (forbid), start
    /// another (allow), or stop it and start (replace).
    #[arg(long, value_enum, default_value = "forbid")]
    concurrency: ConcurrencyArg,
    /// Firings missed while the server was down (more than 5 s late): record
    /// them as skipped (skip), or run the latest once (run_once).
    #[arg(long, value_enum, default_value = "skip")]
    missed: MissedArg,
    /// With --missed run_once: run a missed firing only this many seconds after
    /// it was due.
    #[arg(long, value_name = "SECONDS")]
    starting_deadline: Option<u64>,
    /// Store it disabled (it fires once enabled).
    #[arg(long)]
    disabled: bool,
    /// Fire nothing after this instant (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    expires_at: Option<String>,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

/// `--concurrency`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ConcurrencyArg {
    Forbid,
    Allow,
    Replace,
}

/// `--missed`, spelled as the API spells it (`run-once` is taken too).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum MissedArg {
    Skip,
    #[value(name = "run_once", alias = "run-once")]
    RunOnce,
}

/// Runs `schedule …` against `server`.
pub async fn run(server: Option<Remote>, args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let Some(remote) = server else {
        bail!(
            "schedule needs --server URL (or TEST_COORDINATOR_URL): schedules are kept \
             and fired by a running `test-coordinator serve`"
        );
    };
    match args.command {
        ScheduleCommand::Add(add) => {
            let json = add.json;
            let request = request(*add)?;
            let view: ScheduleView = remote.post_json("/api/v1/schedules", &request).await?;
            print(json, &view, || {
                println!("schedule {} added: {}", view.id, view.name);
                print_view(&view);
            })
        }
        ScheduleCommand::List(args) => {
            let list: ScheduleList = remote.get_json("/api/v1/schedules").await?;
            print(args.json, &list, || print_list(&list))
        }
        ScheduleCommand::Show(args) => {
            let detail: ScheduleDetail = remote.get_json(&path(&args.id, "")).await?;
            print(args.json, &detail, || print_detail(&detail))
        }
        ScheduleCommand::Enable(args) => {
            let view: ScheduleView = remote
                .post_json(&path(&args.id, "/enable"), &serde_json::Map::new())
                .await?;
            print(args.json, &view, || {
                println!("schedule {} enabled", view.id);
                print_view(&view);
            })
        }
        ScheduleCommand::Disable(args) => {
            let view: ScheduleView = remote
                .post_json(&path(&args.id, "/disable"), &serde_json::Map::new())
                .await?;
            print(args.json, &view, || {
                println!("schedule {} disabled", view.id);
                print_view(&view);
            })
        }
        ScheduleCommand::Trigger(args) => {
            let started: ScheduleTriggered = remote
                .post_json(&path(&args.id, "/trigger"), &serde_json::Map::new())
                .await?;
            print(args.json, &started, || {
                match (&started.execution_id, &started.suite_id) {
                    (Some(execution), _) => println!(
                        "schedule {} triggered: execution {execution}",
                        started.schedule_id
                    ),
                    (None, Some(suite)) => {
                        println!("schedule {} triggered: suite {suite}", started.schedule_id)
                    }
                    (None, None) => println!("schedule {} triggered", started.schedule_id),
                }
            })
        }
        ScheduleCommand::Remove(args) => {
            remote.delete(&path(&args.id, "")).await?;
            let removed = Removed {
                id: &args.id,
                removed: true,
            };
            print(args.json, &removed, || {
                println!("schedule {} removed", args.id)
            })
        }
    }
}

/// What `schedule remove --json` prints (the server answers 204, no body).
#[derive(Serialize)]
struct Removed<'a> {
    id: &'a str,
    removed: bool,
}

/// `/api/v1/schedules/{id}{rest}`, the id escaped.
fn path(id: &str, rest: &str) -> String {
    format!("/api/v1/schedules/{}{rest}", segment(id))
}

/// The request `schedule add`'s flags (or `--file`) describe.
fn request(args: AddArgs) -> anyhow::Result<ScheduleRequest> {
    if let Some(file) = &args.file {
        return request_file(file);
    }
    // Checked here, not with clap's `requires`: clap lets a requirement go
    // when a member of the same group is given (`--every 2 --time-zone X`).
    if args.time_zone.is_some() && args.cron.is_none() {
        bail!("--time-zone only applies to --cron");
    }
    if args.version.is_some() && args.scenario_id.is_none() {
        bail!("--version only applies to --scenario-id");
    }
    if (!args.param.is_empty() || args.params.is_some()) && args.template.is_none() {
        bail!("--param and --params only apply to --template");
    }
    let mut request = ScheduleRequest {
        name: String::new(),
        scenario: None,
        scenario_id: None,
        version: args.version,
        yaml: None,
        template: None,
        parameters: None,
        suite: None,
        schedule: timing(&args)?,
        options: ExecuteOptions {
            speed: args.speed,
            dry_run: args.dry_run,
            continue_on_failure: args.continue_on_failure,
            repeat: args.repeat,
            ..ExecuteOptions::default()
        },
        policies: Default::default(),
    };
    let default_name = if let Some(name) = &args.scenario {
        request.scenario = Some(name.clone());
        name.clone()
    } else if let Some(id) = &args.scenario_id {
        request.scenario_id = Some(id.clone());
        format!("scenario {id}")
    } else if let Some(file) = &args.yaml_file {
        request.yaml = Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?,
        );
        file.file_stem().map_or_else(
            || file.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    } else if let Some(template) = &args.template {
        let values = template_values(&args)?;
        if template.ends_with(".yaml") || template.ends_with(".yml") {
            // A local template file is rendered here, as `execute --server`
            // does: the server never reads a path it is sent.
            let text = std::fs::read_to_string(template)
                .with_context(|| format!("cannot read {template}"))?;
            request.yaml = Some(crate::prepare::render_text(&text, values).map_err(
                |diagnostics| {
                    let lines: Vec<String> = diagnostics
                        .iter()
                        .map(|d| crate::prepare::format_diagnostic(template, d))
                        .collect();
                    anyhow::anyhow!("{template} does not render:\n{}", lines.join("\n"))
                },
            )?);
        } else {
            request.template = Some(template.clone());
            request.parameters = match serde_json::to_value(values)? {
                serde_json::Value::Object(map) if !map.is_empty() => Some(map),
                _ => None,
            };
        }
        template.clone()
    } else if let Some(names) = &args.scenarios {
        let names: Vec<&str> = names
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            bail!("--scenarios names no scenario");
        }
        if args.repeat != 1 {
            bail!("--repeat is not supported with --scenarios");
        }
        request.suite = Some(SuiteRequest {
            scenarios: names
                .iter()
                .map(|n| super::suite::entry(n))
                .collect::<anyhow::Result<_>>()?,
            mode: SuiteMode::Sequential,
            parallel: false,
            seed: None,
            speed: args.speed,
            dry_run: args.dry_run,
            continue_on_failure: args.continue_on_failure,
        });
        format!("suite {}", names.join(", "))
    } else {
        bail!(
            "give what the schedule runs: --scenario NAME, --scenario-id ID, --yaml-file FILE, \
             --template T or --scenarios A,B (or the whole request: --file FILE)"
        );
    };
    request.name = args.name.clone().unwrap_or(default_name);
    request.policies.enabled = !args.disabled;
    request.policies.concurrency = match args.concurrency {
        ConcurrencyArg::Forbid => ConcurrencyPolicy::Forbid,
        ConcurrencyArg::Allow => ConcurrencyPolicy::Allow,
        ConcurrencyArg::Replace => ConcurrencyPolicy::Replace,
    };
    request.policies.missed = match args.missed {
        MissedArg::Skip => MissedPolicy::Skip,
        MissedArg::RunOnce => MissedPolicy::RunOnce,
    };
    request.policies.starting_deadline_seconds = args.starting_deadline;
    request.policies.expires_at = args.expires_at.clone();
    if args.every.is_none() {
        request.policies.max_executions = args.max_executions;
    }
    Ok(request)
}

/// The timing flags as a [`ScheduleTiming`].
fn timing(args: &AddArgs) -> anyhow::Result<ScheduleTiming> {
    Ok(if let Some(at) = &args.at {
        ScheduleTiming::Once { at: at.clone() }
    } else if let Some(delay_seconds) = args.delay {
        ScheduleTiming::Delayed { delay_seconds }
    } else if let Some(interval_seconds) = args.every {
        ScheduleTiming::Periodic {
            interval_seconds,
            max_executions: args.max_executions,
        }
    } else if let Some(expression) = &args.cron {
        ScheduleTiming::Cron {
            expression: expression.clone(),
            time_zone: args.time_zone.clone().unwrap_or_else(|| "UTC".to_owned()),
        }
    } else {
        bail!(
            "give when the schedule fires: --at RFC3339, --delay SECONDS, --every SECONDS \
             or --cron EXPR (or the whole request: --file FILE)"
        );
    })
}

/// `--param name=value` (each one pair; the value may hold commas) merged
/// over `--params`.
fn template_values(args: &AddArgs) -> anyhow::Result<app::scenario::template::ParameterValues> {
    let Some(mut values) = super::parameters(args.params.as_deref())? else {
        bail!("invalid --params (see above)");
    };
    for pair in &args.param {
        let Some((name, value)) = pair.split_once('=').filter(|(n, _)| !n.trim().is_empty()) else {
            bail!("--param {pair:?} is not `name=value`");
        };
        let name = name.trim();
        if values
            .values
            .insert(
                name.to_owned(),
                serde_json::Value::String(value.trim().to_owned()),
            )
            .is_some()
        {
            bail!("template parameter `{name}` is given twice");
        }
    }
    Ok(values)
}

/// A `ScheduleRequest` file, JSON or YAML (`-`: standard input).
fn request_file(file: &std::path::Path) -> anyhow::Result<ScheduleRequest> {
    let name = file.display().to_string();
    let text = if name == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {name}"))?
    };
    let is_json = file.extension().is_some_and(|e| e == "json")
        || (name == "-" && text.trim_start().starts_with('{'));
    if is_json {
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{name}:{}:{}: not a schedule request: {e}",
                e.line(),
                e.column()
            )
        })
    } else {
        serde_yaml::from_str(&text).map_err(|e| match e.location() {
            Some(at) => anyhow::anyhow!(
                "{name}:{}:{}: not a schedule request: {e}",
                at.line(),
                at.column()
            ),
            None => anyhow::anyhow!("{name}: not a schedule request: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::show::utc;
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::{Cli, Command};

    fn add(args: &[&str]) -> anyhow::Result<ScheduleRequest> {
        let mut line = vec!["test-coordinator", "schedule", "add"];
        line.extend_from_slice(args);
        let cli = Cli::try_parse_from(line)?;
        match cli.command {
            Command::Schedule(ScheduleArgs {
                command: ScheduleCommand::Add(add),
            }) => request(*add),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_make_the_request_the_api_takes() {
        let request = add(&[
            "--name",
            "nightly",
            "--scenario",
            "stablecoin-depeg-scenario",
            "--cron",
            "0 2 * * MON-FRI",
            "--time-zone",
            "Europe/Berlin",
            "--speed",
            "3600",
            "--missed",
            "run_once",
            "--starting-deadline",
            "3600",
            "--concurrency",
            "replace",
            "--max-executions",
            "3",
            "--disabled",
        ])
        .unwrap();
        assert_eq!(request.name, "nightly");
        assert_eq!(
            request.scenario.as_deref(),
            Some("stablecoin-depeg-scenario")
        );
        assert_eq!(
            request.schedule,
            ScheduleTiming::Cron {
                expression: "0 2 * * MON-FRI".into(),
                time_zone: "Europe/Berlin".into()
            }
        );
        assert_eq!(request.options.speed, 3600.0);
        assert_eq!(request.policies.missed, MissedPolicy::RunOnce);
        assert_eq!(request.policies.concurrency, ConcurrencyPolicy::Replace);
        assert_eq!(request.policies.starting_deadline_seconds, Some(3600));
        assert_eq!(request.policies.max_executions, Some(3));
        assert!(!request.policies.enabled);
    }

    #[test]
    fn every_puts_the_cap_on_the_periodic_timing_and_names_default_to_the_source() {
        let request = add(&[
            "--template",
            "exchange-outage",
            "--param",
            "duration=10m",
            "--param",
            "note=a,b",
            "--every",
            "60",
            "--max-executions",
            "2",
            "--missed",
            "run-once",
        ])
        .unwrap();
        assert_eq!(request.name, "exchange-outage");
        assert_eq!(
            request.schedule,
            ScheduleTiming::Periodic {
                interval_seconds: 60,
                max_executions: Some(2)
            }
        );
        assert_eq!(request.policies.max_executions, None);
        assert_eq!(request.policies.missed, MissedPolicy::RunOnce);
        let parameters = request.parameters.unwrap();
        assert_eq!(parameters["duration"], "10m");
        assert_eq!(parameters["note"], "a,b");
    }

    #[test]
    fn a_scenario_version_is_not_the_program_version() {
        let request = add(&["--scenario-id", "abc", "--version", "3", "--delay", "5"]).unwrap();
        assert_eq!(request.scenario_id.as_deref(), Some("abc"));
        assert_eq!(request.version, Some(3));
        assert_eq!(
            request.schedule,
            ScheduleTiming::Delayed { delay_seconds: 5 }
        );
    }

    #[test]
    fn one_source_and_one_timing_are_needed() {
        let missing = add(&["--scenario", "x"]).unwrap_err().to_string();
        assert!(missing.contains("--cron"), "{missing}");
        let missing = add(&["--at", "2030-01-01T00:00:00Z"])
            .unwrap_err()
            .to_string();
        assert!(missing.contains("--scenario"), "{missing}");
        assert!(add(&["--scenario", "x", "--template", "y", "--delay", "1"]).is_err());
        assert!(add(&["--scenario", "x", "--delay", "1", "--every", "2"]).is_err());
        assert!(add(&["--scenario", "x", "--every", "2", "--time-zone", "UTC"]).is_err());
        assert!(add(&["--file", "r.json", "--scenario", "x"]).is_err());
        assert!(add(&["--scenario", "x", "--delay", "1", "--version", "2"]).is_err());
        assert!(add(&["--scenario", "x", "--delay", "1", "--param", "a=b"]).is_err());
    }

    #[test]
    fn a_request_file_is_read_as_json_or_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("r.json");
        std::fs::write(
            &json,
            r#"{"name":"n","scenario":"s","schedule":{"type":"periodic","interval_seconds":2},"options":{"speed":600,"dry_run":true,"continue_on_failure":false,"repeat":1}}"#,
        )
        .unwrap();
        let request = add(&["--file", json.to_str().unwrap()]).unwrap();
        assert!(request.options.dry_run);
        let yaml = dir.path().join("r.yaml");
        std::fs::write(
            &yaml,
            "name: n\nscenario: s\nschedule: {type: cron, expression: '*/1 * * * * *'}\npolicies: {missed: run_once}\n",
        )
        .unwrap();
        let request = add(&["--file", yaml.to_str().unwrap()]).unwrap();
        assert_eq!(request.policies.missed, MissedPolicy::RunOnce);
        std::fs::write(
            &yaml,
            "name: n\nscenario: s\nbogus: 1\nschedule: {type: delayed, delay_seconds: 1}\n",
        )
        .unwrap();
        let error = add(&["--file", yaml.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("bogus") && error.contains("r.yaml:"),
            "{error}"
        );
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(
            path("a/../b", "/enable"),
            "/api/v1/schedules/a%2F..%2Fb/enable"
        );
        assert_eq!(utc("2026-12-02T21:30:00.250Z"), "2026-12-02 21:30:00 UTC");
        assert_eq!(utc("soon"), "soon");
    }
}
