//! The `test-coordinator` binary's library: everything but `main`, so that
//! integration tests build the real application.
//!
//! # Layout
//! - [`cli`]: command-line parsing and the subcommands.
//! - [`config`]: layered configuration → validated [`config::Config`].
//! - [`telemetry`]: structured JSON logs.
//! - [`startup`]: [`startup::Application`] — bind, wire, serve, shut down.
//! - [`state`]: the router state handed to handlers and server functions.
//! - [`service`]: the use cases shared by the UI, the API and the CLI, one
//!   file per resource (executions, scenarios, library, services, suites), and
//!   the server functions' `Backend` adapter.
//! - `http`: routes and layers, one file and one `router()` per resource.
//! - [`library`]: the built-in library (embedded) plus configured folders, read once.
//! - [`scenario_id`]: what may name an uploaded scenario.
//! - [`store`]: SQLite through sqlx; the only module with SQL.
//! - [`metrics`]: the Prometheus registry.
//! - [`stats`]: the one percentile and the one timing skew every figure uses.

pub mod adapters;
pub mod assertions;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod http;
pub mod library;
pub mod metrics;
pub mod prepare;
pub mod report;
pub mod sandbox;
pub mod scenario_id;
pub mod service;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod telemetry;
