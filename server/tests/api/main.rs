//! Integration tests of the running application: one binary, one module per area.
//! Each test spawns the real app on a free port with its own temporary database.

/// The `test-coordinator` binary as a process: config errors, signals.
mod binary;
/// Stop against a target that never answers; a panic in an execution.
mod cancel;
/// The CLI against a running server (`schedule …` among its verbs).
mod cli;
/// Client mistakes answered with the right 4xx in the error shape; upload names.
mod client_errors;
/// Two real executions compared; the previous run of a scenario.
mod compare;
/// A coordinator killed mid-run: recovery at the next start.
mod crash;
/// Scenarios run by the real engine against a real sandbox.
mod engine;
/// The gRPC API on the HTTP port: execute, watch, stop, validate, create, errors, health.
mod grpc;
mod helpers;
/// Hostile inputs: paths, huge numbers, amplification, absurd speeds.
mod hostile;
/// Every built-in scenario and template, run against a fresh sandbox.
mod library;
/// The generated OpenAPI document against the router.
mod openapi;
/// Orchestrations: documents of steps, versioned, run as suites with delays, time boxes, loops and controls.
mod orchestrations;
/// Owners of executions: a live CLI run next to `serve`, `kill -9`, Ctrl-C, `recover`.
mod owners;
/// The UI's paths: overlapping names, downloads, run again, archive.
mod paths;
/// A service behind the fault-injection proxy: faults, leases, rollback.
mod proxy;
/// Recordings of chaos exported, imported and replayed against a real sandbox.
mod recordings;
/// Reports of a real execution in every format, checked by real validators.
mod report;
/// The REST API, WebSocket and SSE.
mod rest;
/// Schedules fired by the real `serve`, across a `kill -9` and a restart.
mod schedules;
/// Security headers, the cross-site request guard, escaping of stored text, caught panics.
mod security;
/// Several scenarios run as one: API, order, summary, CLI here and remote.
mod suites;
/// `/health`, `/metrics`, pages and server functions of the foundation.
mod system;
/// Workloads over real HTTP: the open model, figures and recovery against the sandbox.
mod workload;
