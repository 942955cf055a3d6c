//! The `test-coordinator` binary's library: everything but `main`, so that
//! integration tests build the real application.
//!
//! # Layout
//! The data flows one way, from the edges to the core and the store:
//!
//! ```text
//! cli ─┐                      ┌→ prepare → app::scenario (parse, render, validate → Plan)
//! http ┼→ service (use cases) ┼→ engine (runs Plans; Event, Verdict from app::api)
//! ui ──┘  (server functions)  ├→ report (pure: RecordedExecution → ExecutionReport → formats)
//!                             └→ store (SQLite or PostgreSQL)
//! adapters, assertions: implement the engine's traits (it never imports them)
//! ```
//!
//! Edges:
//! - [`cli`]: command-line parsing and the subcommands; `execute` runs through
//!   the same use case as REST.
//! - `http`: the REST API, one file and one `router()` per resource, each
//!   operation with its typed OpenAPI entry; the WebSocket; the layers.
//! - [`startup`]: [`startup::Application`] — bind, wire, serve, shut down.
//! - [`state`]: the router state handed to handlers and server functions.
//!
//! Use cases:
//! - [`service`]: the use cases shared by the UI, the API and the CLI, one file
//!   per resource (executions, scenarios, library, services, suites, schedules,
//!   reports),
//!   and `backend`, the server functions' one-line adapters.
//! - [`prepare`]: what the user asked to run → a validated plan.
//!
//! Core (no I/O of its own):
//! - [`engine`]: runs plans on the virtual clock through traits; `runner`,
//!   `scheduler`, `phase`, `rollback`, `verdict`, `workload`, owners and recovery.
//! - [`schedule`]: schedules' timings and blackouts (croner over jiff), the
//!   pure decision of one tick, and the task that fires due schedules.
//! - [`report`]: the report pipeline (`schema`, `build`, `impact`, `audit`,
//!   `summary`, `describe`, then `recommend`) and its formats.
//! - [`stats`]: the one percentile and the one timing skew every figure uses.
//! - [`catalog`]: the catalog scenarios are validated against (services'
//!   actions; assertion types and their roles come from `app::scenario::catalog`).
//!
//! Outside world:
//! - [`adapters`]: actions on services (chaos API, HTTP, processes) and workload traffic.
//! - [`assertions`]: one checker per assertion type.
//! - [`store`]: SQLite or PostgreSQL through sqlx's `Any` driver; the only
//!   module with SQL, owner of the typed records (`StoredExecution`,
//!   `RecordedExecution`).
//! - [`cluster`]: replicas on one PostgreSQL database: relayed events,
//!   controls and queue wake-ups over `LISTEN/NOTIFY` (docs/scale-out.md).
//! - [`library`]: the built-in library (embedded) plus configured folders, read once.
//! - [`sandbox`]: the embedded simulated ecosystem.
//!
//! Leaves:
//! - [`config`]: layered configuration → validated [`config::Config`]; imports
//!   nothing from the rest of the crate.
//! - [`telemetry`]: structured JSON logs. [`metrics`]: the Prometheus registry.
//! - [`scenario_id`]: what may name an uploaded scenario.
//!
//! The wire vocabulary (events, verdicts, control commands, workload figures,
//! REST DTOs) is defined once in `app::api`, shared with the browser.

pub mod adapters;
pub mod assertions;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod grpc;
pub mod http;
pub mod library;
pub mod metrics;
pub mod prepare;
pub mod recording;
pub mod report;
pub mod sandbox;
pub mod scenario_id;
pub mod schedule;
pub mod service;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod telemetry;
