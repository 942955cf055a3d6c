//! `test-coordinator record start|stop|status|export|list|remove` and
//! `test-coordinator replay FILE|ID` (issue 19, docs/recordings.md): seed
//! 004's recordings and replays from a terminal.
//!
//! A recording captures what happens on a running `serve`, so every verb
//! talks to `--server` (or `TEST_COORDINATOR_URL`) with the typed
//! `app::api::recording` bodies. `replay FILE` reads the file here (JSON or
//! YAML) and sends it; the server never reads a path. `--json` prints the
//! server's answer as it is; a refusal prints its message and exits 2.

use std::{path::PathBuf, process::ExitCode};

use anyhow::{bail, Context as _};
use app::api::recording::{
    RecordingDocument, RecordingList, RecordingStartRequest, RecordingStatus, RecordingView,
    ReplayRequest, ReplaySpeed, ReplayView, SpeedWord,
};
use clap::{Args, Subcommand, ValueEnum};

use super::{
    client::{print, segment},
    remote::{JsonArgs, Remote},
};

/// `record …`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(subcommand)]
    command: RecordCommand,
}

#[derive(Debug, Subcommand)]
enum RecordCommand {
    /// Start capturing chaos events on the server's services.
    Start(StartArgs),
    /// Stop the recording under way.
    Stop(JsonArgs),
    /// The recording under way (or the newest): events so far, dropped, length.
    Status(JsonArgs),
    /// Write a recording in seed 004's shape (JSON or YAML) to a file or stdout.
    Export(ExportArgs),
    /// Every recording, newest first.
    List(JsonArgs),
    /// Delete a recording and its events (its replays' executions stay).
    Remove(IdArgs),
}

#[derive(Debug, Args)]
struct IdArgs {
    /// The recording's id (as `record list` shows it).
    id: String,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct StartArgs {
    /// What to call it (default: `recording-<time>`).
    #[arg(long)]
    name: Option<String>,
    /// Only these services (comma-separated; default: all).
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    services: Vec<String>,
    /// Keep at most this many events (default 10,000).
    #[arg(long, value_name = "N")]
    max_events: Option<u32>,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Which recording (default: the one under way, or the newest).
    id: Option<String>,
    /// `json` (default) or `yaml`.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write it here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `replay …`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording file (JSON or YAML, as `record export` writes it) or a
    /// stored recording's id.
    recording: String,
    /// `realtime` (default), `fast` (no waits) or a multiplier such as 2 or 10.
    #[arg(long, default_value = "realtime")]
    speed: String,
    /// Play it again when it ends, until stopped or --max-iterations.
    #[arg(long = "loop")]
    loop_replay: bool,
    /// With --loop: at most this many plays.
    #[arg(long, value_name = "N", requires = "loop_replay")]
    max_iterations: Option<u32>,
    /// Start at the first event instead of waiting as the recording did.
    #[arg(long)]
    skip_initial_delay: bool,
    /// Only these event types (ChaosInjected, ChaosCleared; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    event_types: Vec<String>,
    /// Print its events until it ends; exit 0 if it completed, 1 if not.
    #[arg(long)]
    wait: bool,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

fn needs_server(server: Option<Remote>, verb: &str) -> anyhow::Result<Remote> {
    match server {
        Some(remote) => Ok(remote),
        None => bail!(
            "{verb} needs --server URL (or TEST_COORDINATOR_URL): recordings are captured \
             and replayed by a running `test-coordinator serve`"
        ),
    }
}

fn print_view(view: &RecordingView) {
    println!(
        "recording {} ({}): {}, {} events ({} dropped), {:.1} s",
        view.id,
        view.name,
        view.state.as_str(),
        view.event_count,
        view.dropped_events,
        view.total_duration_ms as f64 / 1000.0
    );
}

/// Runs `record …` against `server`.
pub async fn record(server: Option<Remote>, args: RecordArgs) -> anyhow::Result<ExitCode> {
    let remote = needs_server(server, "record")?;
    match args.command {
        RecordCommand::Start(start) => {
            let request = RecordingStartRequest {
                name: start.name,
                services: start.services,
                max_events: start.max_events,
            };
            let view: RecordingView = remote
                .post_json("/api/chaos/recording/start", &request)
                .await?;
            print(start.json, &view, || print_view(&view))
        }
        RecordCommand::Stop(args) => {
            let view: RecordingView = remote
                .post_json("/api/chaos/recording/stop", &serde_json::Map::new())
                .await?;
            print(args.json, &view, || print_view(&view))
        }
        RecordCommand::Status(args) => {
            let status: RecordingStatus = remote.get_json("/api/chaos/recording/status").await?;
            print(args.json, &status, || match &status.recording {
                Some(view) => print_view(view),
                None => println!("no recording yet"),
            })
        }
        RecordCommand::List(args) => {
            let list: RecordingList = remote.get_json("/api/v1/recordings").await?;
            print(args.json, &list, || {
                for view in &list.recordings {
                    print_view(view);
                }
            })
        }
        RecordCommand::Remove(args) => {
            remote
                .delete(&format!("/api/v1/recordings/{}", segment(&args.id)))
                .await?;
            print(
                args.json,
                &serde_json::json!({"id": args.id, "removed": true}),
                || println!("recording {} removed", args.id),
            )
        }
        RecordCommand::Export(args) => {
            let id = match args.id {
                Some(id) => id,
                None => {
                    let status: RecordingStatus =
                        remote.get_json("/api/chaos/recording/status").await?;
                    status.recording.context("no recording yet")?.id
                }
            };
            let document: RecordingDocument = remote
                .get_json(&format!("/api/v1/recordings/{}/export", segment(&id)))
                .await?;
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&document)? + "\n",
                Format::Yaml => serde_yaml::to_string(&document)?,
            };
            match args.output {
                Some(file) => {
                    std::fs::write(&file, text)
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    eprintln!(
                        "recording {id}: {} events written to {}",
                        document.events.len(),
                        file.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--speed`: `realtime`, `fast` or a number.
fn speed(text: &str) -> anyhow::Result<ReplaySpeed> {
    match text {
        "realtime" => Ok(ReplaySpeed::Word(SpeedWord::Realtime)),
        "fast" => Ok(ReplaySpeed::Word(SpeedWord::Fast)),
        number => number
            .trim_end_matches('x')
            .parse::<f64>()
            .map(ReplaySpeed::Multiplier)
            .map_err(|_| {
                anyhow::anyhow!("--speed is realtime, fast or a multiplier such as 2, not {text:?}")
            }),
    }
}

/// Runs `replay …` against `server`.
pub async fn replay(server: Option<Remote>, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let remote = needs_server(server, "replay")?;
    let file = PathBuf::from(&args.recording);
    let (recording_id, recording) = if file.is_file() {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        // YAML is a superset of JSON: one parser reads both.
        let document: RecordingDocument = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not a recording document", file.display()))?;
        (None, Some(document))
    } else {
        (Some(args.recording.clone()), None)
    };
    let request = ReplayRequest {
        recording_id,
        recording,
        speed: speed(&args.speed)?,
        loop_replay: args.loop_replay,
        max_iterations: args.max_iterations,
        skip_initial_delay: args.skip_initial_delay,
        event_types: args.event_types,
        path: None,
    };
    let view: ReplayView = remote.post_json("/api/v1/replays", &request).await?;
    print(args.json && !args.wait, &view, || {
        println!(
            "replaying {} ({} events, {}) as execution {}",
            view.recording_name, view.total_events, view.speed, view.execution_id
        )
    })?;
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let status = remote
        .follow(&view.execution_id, |event| {
            println!("{}", app::api::describe(&event.kind))
        })
        .await?;
    if args.json {
        let done: ReplayView = remote
            .get_json(&format!("/api/v1/replays/{}", segment(&view.execution_id)))
            .await?;
        println!("{}", serde_json::to_string_pretty(&done)?);
    }
    Ok(if status == "completed" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
