//! The use cases the UI (through server functions), the REST API and the CLI all
//! call. Handlers stay thin: they translate HTTP, a server function or a
//! command line to a call here and back.
//!
//! One file per resource:
//! - `executions`: start (prepare, admit, submit), read, control and follow runs;
//! - `scenarios`: validate, upload, version, archive, render, read and copy scenarios;
//! - `library`: the library's listings and the UI's scenario cards;
//! - `services`: the configured services, their state, clearing chaos;
//! - `rerun`: "Run again", an execution's text and options started anew;
//! - `suites`: several scenarios run as one, and the tasks that drive them;
//! - `orchestrations`: seed 001's documents of steps, stored, versioned and run as suites;
//! - `schedules`: scenarios and suites on a calendar, and firing the due ones;
//! - `recordings`: recording chaos as it happens, exporting, importing and
//!   replaying recordings (a replay is an execution), and saving one as a scenario;
//! - `compare`: two executions compared, and an execution's previous run;
//! - `reports`: an execution's report and the summary over many (the I/O the
//!   pure `report` pipeline leaves to its caller);
//! - `auth`: teams: sign-in, accounts, API tokens, principals, the audit log;
//! - `backend`: the server functions' [`app::ssr::Backend`], one line per use case.
//!
//! Errors from the layers below become [`ApiError`]s through the `From`
//! conversions here, so a use case says `?` and never maps by hand.

pub mod auth;
mod backend;
mod compare;
mod executions;
mod library;
mod orchestrations;
mod recordings;
mod reports;
mod rerun;
mod scenarios;
mod schedules;
mod services;
mod suites;

use std::sync::Arc;

use app::api::{ApiError, ErrorKind};

pub use executions::{
    admit, check_options, execution_detail, fold_progress, prepare_source, timeline_row,
};
pub use schedules::DUE_PER_TICK;
pub use suites::{shuffled_order, SuiteControl, SuiteDrivers, MAX_MEMBERS};

use crate::{
    config::Config,
    engine::{Engine, EngineError},
    library::Library,
    prepare::PrepareError,
    recording::Recorder,
    schedule::Scheduler,
    store::{Store, StoreError},
};

/// The coordinator's use cases over its config, library, store and engine.
#[derive(Clone)]
pub struct Coordinator {
    pub(crate) config: Arc<Config>,
    /// The library, read once at start-up.
    pub(crate) library: Library,
    pub(crate) store: Store,
    pub(crate) engine: Engine,
    pub(crate) client: reqwest::Client,
    /// The tasks that run suites member by member.
    pub(crate) suites: SuiteDrivers,
    /// The scheduler task, woken when a schedule changes.
    pub(crate) schedules: Scheduler,
    /// The recording capturing now, if any.
    pub(crate) recorder: Recorder,
}

/// Largest scenario text accepted.
pub const MAX_SCENARIO_BYTES: usize = 1024 * 1024;
/// Executions that may wait for a slot; beyond that, new ones are refused (503).
pub const MAX_QUEUED: usize = 100;

impl Coordinator {
    /// The configuration it serves (with the addresses proxies really got).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Use cases over `config`, `store` and `engine`; reads the library once.
    pub fn new(config: Arc<Config>, store: Store, engine: Engine) -> Self {
        Self {
            library: Library::load(&config),
            config,
            store,
            engine,
            client: reqwest::Client::new(),
            suites: SuiteDrivers::default(),
            schedules: Scheduler::default(),
            recorder: Recorder::default(),
        }
    }
}

/// A store failure is the coordinator's problem: logged, answered as a 500.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error.cause_chain = ?error, "store failed");
        ApiError::internal()
    }
}

/// Nothing in the library by that name: a 404.
impl From<PrepareError> for ApiError {
    fn from(error: PrepareError) -> Self {
        match error {
            PrepareError::NotFound { .. } => ApiError::new(ErrorKind::NotFound, error.to_string()),
        }
    }
}

/// A coordinator that is stopping answers 503; anything else is a bug (500).
impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::ShuttingDown => {
                ApiError::new(ErrorKind::Unavailable, "the coordinator is shutting down")
            }
            other => {
                tracing::error!(error.cause_chain = ?other, "engine failed");
                ApiError::internal()
            }
        }
    }
}

/// The answer for an unknown or malformed execution id.
pub fn no_execution(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no execution {id}"))
}

/// A refused request, with `message` saying why.
pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message)
}
