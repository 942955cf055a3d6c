//! Test Coordinator's shared crate: compiled into the server (feature `ssr`) and
//! into the browser's WASM (feature `hydrate`).
//!
//! # Layout
//! - [`scenario`]: the scenario language — durations, parse, template,
//!   validate, plan and the catalog it checks against. Pure and wasm-safe.
//! - [`orchestration`]: scenarios chained as steps (seed 001's orchestration
//!   document): its model, structure and semantic checks, and `config` steps
//!   rendered as scenarios. Pure and wasm-safe.
//! - [`api`]: data types the server sends to the UI and to API clients,
//!   including the wire vocabulary of executions (events, verdicts, control
//!   commands, workload figures) and `describe`, one line for people per event.
//! - [`me`]: who is looking at the page (the viewer's role and CSRF token),
//!   the same on the server and in the browser.
//! - `pages`: one module per route of the UI.
//! - `components`: small widgets the pages share.
//! - [`server_fns`]: the `#[server]` functions the pages call; each is one
//!   call into the [`ssr::Backend`] the server provides.
//! - [`ssr`] (server only): the [`ssr::Backend`] trait. `server` depends on
//!   `app`, so `app` reaches server code only through this trait.

// Deeply nested view types (the scenario and editor pages) need more than the default 128.
#![recursion_limit = "256"]

pub mod api;
pub mod chart;
pub mod components;
pub mod me;
pub mod orchestration;
mod pages;
pub mod scenario;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The name of the generated WASM/JS/CSS bundle under `/pkg/<hash>/`.
pub const BUNDLE_NAME: &str = "test-coordinator";

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Test Coordinator: chaos-engineering scenarios, run and recorded" />
                <me::MeMeta />
                <link rel="stylesheet" id="leptos" href=format!("/{}/{BUNDLE_NAME}.css", options.site_pkg_dir) />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The whole UI: the shell's navigation and one page per route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    me::provide_me();

    view! {
        <Title formatter=|page: String| format!("{page} · Test Coordinator") />
        <Router>
            <components::AppShell>
                // Pages about one thing render whole before answering (SsrMode::Async),
                // so an unknown id can still answer 404.
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::Dashboard />
                    <Route path=path!("/scenarios") view=pages::Scenarios />
                    <Route path=path!("/scenarios/new") view=pages::NewScenario />
                    <Route path=path!("/scenarios/:name") view=pages::ScenarioPage ssr=SsrMode::Async />
                    <Route path=path!("/scenarios/:name/edit") view=pages::EditScenario ssr=SsrMode::Async />
                    <Route path=path!("/executions") view=pages::Executions />
                    <Route path=path!("/executions/compare") view=pages::ComparePage ssr=SsrMode::Async />
                    <Route path=path!("/executions/:id") view=pages::ExecutionPage ssr=SsrMode::Async />
                    <Route path=path!("/executions/:id/report") view=pages::ReportPage />
                    <Route path=path!("/schedules") view=pages::Schedules />
                    <Route path=path!("/recordings") view=pages::Recordings />
                    <Route path=path!("/orchestrations") view=pages::Orchestrations />
                    <Route path=path!("/orchestrations/new") view=pages::NewOrchestration />
                    <Route path=path!("/orchestrations/runs/:run_id") view=pages::OrchestrationRunPage ssr=SsrMode::Async />
                    <Route path=path!("/orchestrations/:id") view=pages::OrchestrationPage ssr=SsrMode::Async />
                    <Route path=path!("/orchestrations/:id/edit") view=pages::EditOrchestration ssr=SsrMode::Async />
                    <Route path=path!("/services") view=pages::Services />
                    <Route path=path!("/sign-in") view=pages::SignIn />
                    <Route path=path!("/users") view=pages::Users />
                    <Route path=path!("/tokens") view=pages::Tokens />
                    <Route path=path!("/audit") view=pages::Audit />
                </Routes>
            </components::AppShell>
        </Router>
    }
}
