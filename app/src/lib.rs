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

// The server's HTML and the browser's hydration must agree on type-erased views
// (docs/build.md): a site erased against a typed server panics at hydration.
// `.cargo/config.toml` sets the cfg for every build; a RUSTFLAGS variable
// replaces it, so one that leaves it out is refused here, for both builds.
#[cfg(not(erase_components))]
compile_error!(
    "build with `--cfg erase_components`: .cargo/config.toml sets it, and a RUSTFLAGS variable replaces that, so add it there too (docs/build.md)"
);

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
    path, Lazy, LazyRoute, SsrMode,
};

/// The name of the generated WASM/JS/CSS bundle under `/pkg/<hash>/`.
pub const BUNDLE_NAME: &str = "test-coordinator";

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let pkg = options.site_pkg_dir.to_string();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Test Coordinator: chaos-engineering scenarios, run and recorded" />
                <me::MeMeta />
                <EarlyInit pkg=pkg.clone() />
                <HydrationScripts options />
                <EarlyCompile pkg=pkg.clone() />
                <link rel="stylesheet" id="leptos" href=format!("/{pkg}/{BUNDLE_NAME}.css") />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The split loader's file in the bundle: `tools/wasm-split` names it so, and
/// wasm-bindgen's loader imports it.
pub const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// Starts compiling the WASM while the page is still being parsed, apart from
/// the JS that will instantiate it (docs/build.md, "Where a cold load of `/`
/// spends its time"). Leptos's hydration script is a deferred module script
/// that fetches the WASM only once the page is parsed and the loader and the
/// split loader it imports are evaluated: on a cold load the WASM sat unused
/// for up to 100 ms after it had arrived. A classic script runs as soon as it
/// is parsed: this one starts the streaming compile and leaves its promise in
/// `window.__tcWasm`. It comes after Leptos's preload link, so its request is
/// the preload's (before it, the link asked for the WASM a second time), and
/// before the stylesheet, which a classic script would wait for.
///
/// The split loader, which the loader imports, is preloaded beside it, so
/// neither waits for the other.
#[component]
fn EarlyCompile(pkg: String) -> impl IntoView {
    let script = format!(
        "if (WebAssembly.compileStreaming) {{ window.__tcWasm = WebAssembly.compileStreaming(fetch(\"/{pkg}/{BUNDLE_NAME}_bg.wasm\")); window.__tcWasm.catch(() => {{}}); }}"
    );
    view! {
        <script nonce=leptos::nonce::use_nonce()>{script}</script>
        <link rel="modulepreload" href=format!("/{pkg}/{SPLIT_LOADER}") />
    }
}

/// Hands the compile that [`EarlyCompile`] started to the loader's `init`: a
/// deferred module script before Leptos's, and deferred scripts run in
/// document order, so it always runs first. The loader keeps one init
/// promise, so Leptos's own call takes the same instance and then hydrates.
/// Should the compile fail (or never have started), the loader forgets the
/// promise and Leptos's call starts over from the WASM's URL.
#[component]
fn EarlyInit(pkg: String) -> impl IntoView {
    let script = format!(
        "import init from \"/{pkg}/{BUNDLE_NAME}.js\"; if (window.__tcWasm) init({{ module_or_path: window.__tcWasm }}).catch(() => {{}});"
    );
    view! { <script type="module" nonce=leptos::nonce::use_nonce()>{script}</script> }
}

/// Hydrates the page the server rendered: the browser's entry point
/// (`frontend`) calls it. A lazy page's chunk is fetched before the page
/// hydrates, so hydration is async. Once all of it, the lazy page included,
/// is hydrated, `<body>` gets `data-hydrated="true"`: browser tests wait for
/// it before they type or click, since an input before hydration is lost.
#[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
pub fn hydrate() {
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        let owner = leptos::mount::hydrate_from_async(body.clone(), App).await;
        owner.forget();
        // An attribute, not a signal: tests and CSS read it from outside Leptos.
        let _ = body.set_attribute("data-hydrated", "true");
    });
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
                    <Route path=path!("/scenarios") view={Lazy::<ScenariosRoute>::new()} />
                    <Route path=path!("/scenarios/new") view={Lazy::<NewScenarioRoute>::new()} />
                    <Route path=path!("/scenarios/:name") view={Lazy::<ScenarioRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/scenarios/:name/edit") view={Lazy::<EditScenarioRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/executions") view={Lazy::<ExecutionsRoute>::new()} />
                    <Route path=path!("/executions/compare") view={Lazy::<CompareRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/executions/:id") view={Lazy::<ExecutionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/executions/:id/report") view={Lazy::<ReportRoute>::new()} />
                    <Route path=path!("/schedules") view={Lazy::<SchedulesRoute>::new()} />
                    <Route path=path!("/recordings") view={Lazy::<RecordingsRoute>::new()} />
                    <Route path=path!("/orchestrations") view={Lazy::<OrchestrationsRoute>::new()} />
                    <Route path=path!("/orchestrations/new") view={Lazy::<NewOrchestrationRoute>::new()} />
                    <Route path=path!("/orchestrations/runs/:run_id") view={Lazy::<OrchestrationRunRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/orchestrations/:id") view={Lazy::<OrchestrationRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/orchestrations/:id/edit") view={Lazy::<EditOrchestrationRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/services") view={Lazy::<ServicesRoute>::new()} />
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()} />
                    <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} />
                    <Route path=path!("/tokens") view={Lazy::<TokensRoute>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} />
                </Routes>
            </components::AppShell>
        </Router>
    }
}

// Every page but the dashboard is a lazy route: in the browser its view is in
// a WASM chunk fetched when such a page is first shown, so `/` downloads none
// of the other pages (docs/build.md, "Splitting the browser code"). The pages
// load in four groups, one `#[lazy]` function each, not one chunk per page:
// the splitter gives every set of split points that shares code a chunk of its
// own, and twenty split points made 506 chunks and 291 requests for one page.
// The parser, validator and template form are used by the editors and the
// scenario page (a template's run form) only, and the diff by the editors
// only, so the other groups download none of them. Sign-in is a group of its
// own: a visitor sent to it waits for no other page's code. On the server a
// lazy route renders as any other.

/// The pages of the scenario and orchestration editors.
#[derive(Clone, Copy)]
enum EditorPage {
    NewScenario,
    EditScenario,
    NewOrchestration,
    EditOrchestration,
}

#[lazy]
fn editor_page(page: EditorPage) -> AnyView {
    match page {
        EditorPage::NewScenario => view! { <pages::NewScenario /> }.into_any(),
        EditorPage::EditScenario => view! { <pages::EditScenario /> }.into_any(),
        EditorPage::NewOrchestration => view! { <pages::NewOrchestration /> }.into_any(),
        EditorPage::EditOrchestration => view! { <pages::EditOrchestration /> }.into_any(),
    }
}

/// A scenario's page, which shares the parser, validator and template form
/// with the editors.
#[lazy]
fn scenario_page() -> AnyView {
    view! { <pages::ScenarioPage /> }.into_any()
}

/// The sign-in page, a group of its own: a visitor sent to it needs no other
/// page's code, and `/` needs none of its code.
#[lazy]
fn sign_in_page() -> AnyView {
    view! { <pages::SignIn /> }.into_any()
}

/// Every other page.
#[derive(Clone, Copy)]
enum OtherPage {
    Scenarios,
    Compare,
    Executions,
    Execution,
    Report,
    Schedules,
    Recordings,
    Orchestrations,
    Orchestration,
    OrchestrationRun,
    Services,
    Users,
    Tokens,
    Audit,
}

#[lazy]
fn other_page(page: OtherPage) -> AnyView {
    match page {
        OtherPage::Scenarios => view! { <pages::Scenarios /> }.into_any(),
        OtherPage::Compare => view! { <pages::ComparePage /> }.into_any(),
        OtherPage::Executions => view! { <pages::Executions /> }.into_any(),
        OtherPage::Execution => view! { <pages::ExecutionPage /> }.into_any(),
        OtherPage::Report => view! { <pages::ReportPage /> }.into_any(),
        OtherPage::Schedules => view! { <pages::Schedules /> }.into_any(),
        OtherPage::Recordings => view! { <pages::Recordings /> }.into_any(),
        OtherPage::Orchestrations => view! { <pages::Orchestrations /> }.into_any(),
        OtherPage::Orchestration => view! { <pages::OrchestrationPage /> }.into_any(),
        OtherPage::OrchestrationRun => view! { <pages::OrchestrationRunPage /> }.into_any(),
        OtherPage::Services => view! { <pages::Services /> }.into_any(),
        OtherPage::Users => view! { <pages::Users /> }.into_any(),
        OtherPage::Tokens => view! { <pages::Tokens /> }.into_any(),
        OtherPage::Audit => view! { <pages::Audit /> }.into_any(),
    }
}

/// One route type per lazy page: `Lazy::<Route>` asks it for its view, which
/// its group's lazy function renders. `preload` fetches the group's chunks
/// first: the router awaits it before it renders or hydrates the page, so
/// the view is then ready at once (hydration cannot wait for it). `#[lazy]`
/// makes the `__preload_…` functions in the browser build (`hydrate`) only.
macro_rules! lazy_routes {
    ($($preload:ident { $($route:ident => $view:expr),* $(,)? })*) => {$($(
        struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                $view.await
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*)*};
}

lazy_routes! {
    __preload_editor_page {
        NewScenarioRoute => editor_page(EditorPage::NewScenario),
        EditScenarioRoute => editor_page(EditorPage::EditScenario),
        NewOrchestrationRoute => editor_page(EditorPage::NewOrchestration),
        EditOrchestrationRoute => editor_page(EditorPage::EditOrchestration),
    }
    __preload_scenario_page {
        ScenarioRoute => scenario_page(),
    }
    __preload_sign_in_page {
        SignInRoute => sign_in_page(),
    }
    __preload_other_page {
        ScenariosRoute => other_page(OtherPage::Scenarios),
        CompareRoute => other_page(OtherPage::Compare),
        ExecutionsRoute => other_page(OtherPage::Executions),
        ExecutionRoute => other_page(OtherPage::Execution),
        ReportRoute => other_page(OtherPage::Report),
        SchedulesRoute => other_page(OtherPage::Schedules),
        RecordingsRoute => other_page(OtherPage::Recordings),
        OrchestrationsRoute => other_page(OtherPage::Orchestrations),
        OrchestrationRoute => other_page(OtherPage::Orchestration),
        OrchestrationRunRoute => other_page(OtherPage::OrchestrationRun),
        ServicesRoute => other_page(OtherPage::Services),
        UsersRoute => other_page(OtherPage::Users),
        TokensRoute => other_page(OtherPage::Tokens),
        AuditRoute => other_page(OtherPage::Audit),
    }
}
