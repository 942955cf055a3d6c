//! Suites (issue 9): several scenarios run as one — in the order given,
//! shuffled with a seed, or side by side — with one summary (N1V1's
//! `chaos_summary.json`). The REST API and the CLI both call these use cases.
//!
//! Every member is validated before anything runs, so a typo in the third
//! name refuses the suite instead of failing it halfway. Each member is then an
//! ordinary execution (its id reserved at creation): a *driver* task submits
//! them — all at once when parallel, else each when the previous one ended —
//! and writes the suite's final state. The drivers stop with the coordinator
//! ([`SuiteDrivers::shutdown`]); a suite a crash left `running` is marked
//! `interrupted` at the next start.
//!
//! This module owns the run order ([`shuffled_order`]) and the drivers; the
//! figures come from [`crate::report::suite`], the rows from the store.

use std::{collections::HashSet, sync::Arc};

use app::api::{
    suite::{
        SuiteAccepted, SuiteDetail, SuiteEntry, SuiteMember, SuiteMode, SuiteRequest, SuiteSource,
        SuiteStatus, SuiteSummary,
    },
    ApiError, ErrorKind, ExecuteOptions, ExecuteRequest, ExecutionStatus,
};
use app::scenario::plan::Plan;
use serde_json::json;
use tokio::{
    sync::{broadcast::error::RecvError, watch, Mutex},
    task::JoinSet,
};

use super::Coordinator;
use crate::{
    engine::{event::EventKind, ExecutionId, StartedBy},
    prepare::Prepared,
    store::{NewSuite, StoreError},
};

/// Most members one suite may have.
pub const MAX_MEMBERS: usize = 100;

/// The tasks that run suites, and the signal that stops them.
#[derive(Clone)]
pub struct SuiteDrivers {
    inner: Arc<DriversInner>,
}

struct DriversInner {
    /// `true` once the coordinator is stopping: drivers submit nothing more.
    stop: watch::Sender<bool>,
    /// One task per running suite, joined at shutdown.
    tasks: Mutex<JoinSet<()>>,
}

impl Default for SuiteDrivers {
    fn default() -> Self {
        Self {
            inner: Arc::new(DriversInner {
                stop: watch::channel(false).0,
                tasks: Mutex::new(JoinSet::new()),
            }),
        }
    }
}

impl SuiteDrivers {
    /// Stops every driver (their suites end `interrupted`; members already
    /// submitted are the engine's to stop) and waits for them.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let mut tasks = self.inner.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }

    /// Waits until every suite's driver has finished (for the CLI and tests).
    pub async fn wait_idle(&self) {
        let mut tasks = self.inner.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }

    fn stopping(&self) -> bool {
        *self.inner.stop.borrow()
    }

    async fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.inner.tasks.lock().await;
        // Reap the drivers that have finished, so the set stays small.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }
}

/// The run order of `n` members for `seed`: a Fisher–Yates shuffle driven by
/// SplitMix64. Reproducing a run by its seed depends on this staying exactly
/// as it is, on every platform and in every version.
pub fn shuffled_order(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // Lemire's multiply-shift: an index in 0..=i without a modulo's bias.
        let j = ((u128::from(next()) * (i as u128 + 1)) >> 64) as usize;
        order.swap(i, j);
    }
    order
}

/// A fresh seed, below 2^53 so that JSON clients read it back exactly.
fn fresh_seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0 & ((1 << 53) - 1)
}

/// One member ready to submit.
pub(crate) struct Admitted {
    id: ExecutionId,
    prepared: Prepared,
    plan: Plan,
}

/// What a driver needs besides the coordinator.
struct Run {
    suite_id: String,
    members: Vec<Admitted>,
    parallel: bool,
    options: ExecuteOptions,
    started_by: StartedBy,
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no suite {id}"))
}

/// How a member is named in messages.
fn label(entry: &SuiteEntry) -> String {
    match entry {
        SuiteEntry::Name(name) => name.clone(),
        SuiteEntry::Source(SuiteSource {
            scenario: Some(name),
            ..
        })
        | SuiteEntry::Source(SuiteSource {
            scenario_id: Some(name),
            ..
        })
        | SuiteEntry::Source(SuiteSource {
            template: Some(name),
            ..
        }) => name.clone(),
        SuiteEntry::Source(_) => "<inline yaml>".to_owned(),
    }
}

fn execute_request(entry: SuiteEntry, options: &ExecuteOptions) -> ExecuteRequest {
    match entry {
        SuiteEntry::Name(name) => ExecuteRequest {
            scenario: Some(name),
            options: options.clone(),
            ..ExecuteRequest::default()
        },
        SuiteEntry::Source(source) => ExecuteRequest {
            scenario: source.scenario,
            scenario_id: source.scenario_id,
            yaml: source.yaml,
            template: source.template,
            parameters: source.parameters,
            options: options.clone(),
        },
    }
}

/// One error for every member that cannot run: its kind when they all share
/// one, else `validation`; `details.members` lists each with its own error.
fn members_error(problems: Vec<(usize, String, ApiError)>) -> ApiError {
    let first = problems[0].2.kind;
    let kind = if problems.iter().all(|(_, _, e)| e.kind == first) {
        first
    } else {
        ErrorKind::Validation
    };
    let message = problems
        .iter()
        .map(|(index, name, error)| format!("scenarios[{index}] ({name}): {}", error.message))
        .collect::<Vec<_>>()
        .join("; ");
    let members: Vec<_> = problems
        .into_iter()
        .map(|(index, name, error)| json!({ "index": index, "scenario": name, "kind": error.kind, "message": error.message, "details": error.details }))
        .collect();
    let mut error = ApiError::new(kind, message);
    error.details = json!({ "members": members });
    error
}

impl Coordinator {
    /// The checks of [`Coordinator::start_suite`] before anything is stored:
    /// the request's bounds and every member prepared and admitted (every
    /// problem reported). A schedule of a suite is checked with it too.
    pub(crate) async fn admit_suite(
        &self,
        request: &SuiteRequest,
    ) -> Result<(Vec<Admitted>, ExecuteOptions), ApiError> {
        let invalid = |message: String| ApiError::new(ErrorKind::InvalidRequest, message);
        if self.suites.stopping() {
            return Err(ApiError::new(
                ErrorKind::Unavailable,
                "the coordinator is shutting down",
            ));
        }
        if request.scenarios.is_empty() {
            return Err(invalid(
                "give at least one scenario in `scenarios`".to_owned(),
            ));
        }
        if request.scenarios.len() > MAX_MEMBERS {
            return Err(invalid(format!(
                "a suite has at most {MAX_MEMBERS} scenarios, not {}",
                request.scenarios.len()
            )));
        }
        if request.seed.is_some() && request.mode != SuiteMode::Random {
            return Err(invalid(
                "`seed` orders a random suite; give `mode: random` or leave it out".to_owned(),
            ));
        }
        let speed = app::api::check_speed(request.speed).map_err(invalid)?;
        let options = ExecuteOptions {
            speed,
            dry_run: request.dry_run,
            continue_on_failure: request.continue_on_failure,
            repeat: 1,
        };
        // Every member is checked before anything runs; every problem is reported.
        let mut admitted = Vec::with_capacity(request.scenarios.len());
        let mut problems = Vec::new();
        for (index, entry) in request.scenarios.iter().cloned().enumerate() {
            let name = label(&entry);
            match self
                .prepare_execution(execute_request(entry, &options))
                .await
            {
                Ok((prepared, plan)) => admitted.push(Admitted {
                    id: ExecutionId::new(),
                    prepared,
                    plan,
                }),
                Err(error) if error.kind == ErrorKind::Internal => return Err(error),
                Err(error) => problems.push((index, name, error)),
            }
        }
        if !problems.is_empty() {
            return Err(members_error(problems));
        }
        Ok((admitted, options))
    }

    /// Validates every member, stores the suite and starts its driver.
    pub async fn start_suite(
        &self,
        request: SuiteRequest,
        started_by: StartedBy,
    ) -> Result<SuiteAccepted, ApiError> {
        let (mut admitted, options) = self.admit_suite(&request).await?;
        self.check_capacity(if request.parallel { admitted.len() } else { 1 })?;
        let seed =
            (request.mode == SuiteMode::Random).then(|| request.seed.unwrap_or_else(fresh_seed));
        if let Some(seed) = seed {
            let order = shuffled_order(admitted.len(), seed);
            let mut slots: Vec<Option<Admitted>> = admitted.into_iter().map(Some).collect();
            admitted = order.into_iter().filter_map(|i| slots[i].take()).collect();
        }
        let suite_id = uuid::Uuid::new_v4().to_string();
        let owner_id = self.engine.owner().id.to_string();
        // The owner's row must exist before the suite names it: a `serve`
        // starting now must see a live owner, not an unknown one.
        self.store.renew_lease(self.engine.owner()).await?;
        let rows: Vec<(String, String)> = admitted
            .iter()
            .map(|m| (m.id.to_string(), m.plan.metadata.name.clone()))
            .collect();
        self.store
            .insert_suite(&NewSuite {
                id: &suite_id,
                mode: request.mode,
                parallel: request.parallel,
                seed,
                options: &json!({ "speed": options.speed, "dry_run": options.dry_run, "continue_on_failure": options.continue_on_failure }),
                started_by: &started_by,
                members: &rows,
                owner_id: &owner_id,
            })
            .await?;
        tracing::info!(
            suite_id,
            members = rows.len(),
            mode = request.mode.as_str(),
            parallel = request.parallel,
            ?seed,
            "suite created"
        );
        let run = Run {
            suite_id: suite_id.clone(),
            members: admitted,
            parallel: request.parallel,
            options,
            started_by,
        };
        let stop = self.suites.inner.stop.subscribe();
        let coordinator = self.clone();
        let suite = suite_id.clone();
        self.suites
            .spawn(async move {
                // A panic in the driver (a bug) must not leave the suite `running`.
                let drive = coordinator.clone().drive(run, stop);
                if let Err(message) = crate::engine::catch_panic(drive).await {
                    tracing::error!(suite_id = %suite, panic = %message, "a suite's driver panicked (a bug); the suite ends failed");
                    if let Err(error) = coordinator
                        .store
                        .mark_suite_finished(&suite, SuiteStatus::Failed)
                        .await
                    {
                        tracing::error!(error.cause_chain = ?error, "cannot record a suite's end");
                    }
                }
            })
            .await;
        Ok(SuiteAccepted {
            suite_id,
            status: SuiteStatus::Running,
            mode: request.mode,
            parallel: request.parallel,
            seed,
            members: rows
                .into_iter()
                .enumerate()
                .map(|(position, (execution_id, scenario))| SuiteMember {
                    position,
                    execution_id,
                    scenario,
                    status: "pending".to_owned(),
                    passed: None,
                    duration_seconds: None,
                    recovery_time_seconds: None,
                })
                .collect(),
        })
    }

    /// Submits a suite's members in its order and records how it ended.
    #[tracing::instrument(skip_all, fields(suite_id = %run.suite_id))]
    async fn drive(self, run: Run, mut stop: watch::Receiver<bool>) {
        // Subscribed before the first submission: no member's end is missed.
        let mut events = self.subscribe();
        let mut waiting: HashSet<ExecutionId> = HashSet::new();
        let mut members = run.members.into_iter();
        let mut interrupted = false;
        loop {
            while !interrupted && (run.parallel || waiting.is_empty()) {
                let Some(member) = members.next() else { break };
                if *stop.borrow() {
                    interrupted = true;
                    break;
                }
                match self
                    .submit_prepared(
                        member.id,
                        &member.prepared,
                        member.plan,
                        &run.options,
                        run.started_by.clone(),
                    )
                    .await
                {
                    Ok(()) => {
                        waiting.insert(member.id);
                    }
                    Err(error) => {
                        tracing::error!(execution_id = %member.id, %error, "cannot submit a suite member");
                        interrupted = true;
                    }
                }
            }
            if waiting.is_empty() {
                break;
            }
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => {
                        if let EventKind::ExecutionFinished { status, .. } = event.kind {
                            // A member interrupted means the coordinator is stopping.
                            if waiting.remove(&event.execution_id) && status == ExecutionStatus::Interrupted {
                                interrupted = true;
                            }
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        // Missed events: the store knows which members ended.
                        for id in waiting.clone() {
                            match self.execution_status(&id.to_string()).await {
                                Ok(status) if status.is_finished() => {
                                    waiting.remove(&id);
                                    interrupted |= status == ExecutionStatus::Interrupted;
                                }
                                Ok(_) => {}
                                Err(error) => tracing::warn!(execution_id = %id, %error, "cannot read a member's state"),
                            }
                        }
                    }
                    Err(RecvError::Closed) => {
                        interrupted = true;
                        break;
                    }
                },
                // Only `shutdown` sends, and only `true`.
                _ = stop.changed() => {
                    interrupted = true;
                    break;
                }
            }
        }
        let status = if interrupted {
            SuiteStatus::Interrupted
        } else {
            match self.suite_detail(&run.suite_id).await {
                Ok(detail)
                    if detail.summary.results.passed_scenarios
                        == detail.summary.test_run.total_scenarios =>
                {
                    SuiteStatus::Completed
                }
                Ok(_) => SuiteStatus::Failed,
                Err(error) => {
                    tracing::error!(%error, "cannot summarise a finished suite");
                    SuiteStatus::Failed
                }
            }
        };
        if let Err(error) = self.store.mark_suite_finished(&run.suite_id, status).await {
            tracing::error!(error.cause_chain = ?error, "cannot record a suite's end");
        }
        tracing::info!(status = status.as_str(), "suite finished");
    }

    /// A suite: its state, members and summary as of now.
    pub async fn suite_detail(&self, id: &str) -> Result<SuiteDetail, ApiError> {
        let record = self
            .store
            .fetch_suite(id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let now = time::OffsetDateTime::now_utc();
        let mut reports = Vec::with_capacity(record.members.len());
        for member in &record.members {
            let report = match member.execution_status {
                Some(status) if status.is_finished() => {
                    let execution_id: ExecutionId = member.execution_id.parse().map_err(|_| {
                        ApiError::from(StoreError::Corrupt(format!(
                            "suite {id}: member id {:?}",
                            member.execution_id
                        )))
                    })?;
                    // From the store only: the audit trail adds nothing to the
                    // figures, and a slow audit service must not slow this down.
                    self.store
                        .fetch_recorded_execution(execution_id)
                        .await?
                        .map(|record| {
                            crate::report::generate(&record.into(), now, &self.config.instance)
                        })
                }
                _ => None,
            };
            reports.push(report);
        }
        let (members, summary) = crate::report::suite::summarize_suite(&record, &reports, now);
        Ok(SuiteDetail {
            id: record.id,
            status: record.status,
            started_by: record.started_by,
            created_at: record.created_at,
            finished_at: record.finished_at,
            members,
            summary,
        })
    }

    /// The most recent suites, newest first.
    pub async fn list_suites(&self, limit: u32) -> Result<Vec<SuiteSummary>, ApiError> {
        Ok(self
            .store
            .list_suites(limit.clamp(1, 500))
            .await?
            .into_iter()
            .map(|suite| SuiteSummary {
                scenarios: suite.members.iter().map(|m| m.scenario.clone()).collect(),
                id: suite.id,
                status: suite.status,
                mode: suite.mode,
                parallel: suite.parallel,
                seed: suite.seed,
                created_at: suite.created_at,
                finished_at: suite.finished_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_order_and_every_member_once() {
        let order = shuffled_order(10, 42);
        assert_eq!(order, shuffled_order(10, 42));
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(order, (0..10).collect::<Vec<_>>(), "seed 42 shuffles");
        assert_ne!(order, shuffled_order(10, 43), "another seed, another order");
        assert_eq!(shuffled_order(0, 1), Vec::<usize>::new());
        assert_eq!(shuffled_order(1, 1), [0]);
    }

    #[test]
    fn the_order_of_a_seed_never_changes() {
        // Runs are reproduced by seed across versions: this pins the algorithm
        // (SplitMix64 + Fisher–Yates, checked against an independent implementation).
        assert_eq!(shuffled_order(5, 7), [3, 4, 2, 0, 1]);
    }

    #[test]
    fn every_position_is_reachable() {
        // Over many seeds, each member is first about equally often.
        let mut first = [0u32; 4];
        for seed in 0..4000 {
            first[shuffled_order(4, seed)[0]] += 1;
        }
        for count in first {
            assert!((800..1200).contains(&count), "{first:?}");
        }
    }

    #[test]
    fn fresh_seeds_fit_in_a_json_number() {
        for _ in 0..100 {
            assert!(fresh_seed() < (1 << 53));
        }
    }
}
