//! A suite's summary (N1V1's `chaos_summary.json`): a pure fold of the suite's
//! stored row and the reports of the members that have ended.

use app::api::suite::{ChaosResults, ChaosSummary, ChaosTestRun, MemberOutcome, SuiteMember};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{recovery::recovery_time_seconds, ExecutionReport};
use crate::store::SuiteRecord;

/// Whether a member passed, by its report and how its suite ended it:
/// - by itself: completed and every success criterion held;
/// - time-boxed (its step's `duration_seconds` ran out): nothing had failed
///   by then, neither an action nor an assertion;
/// - skipped by hand: neither (`None`).
pub fn member_passed(report: &ExecutionReport, outcome: Option<MemberOutcome>) -> Option<bool> {
    match outcome {
        None => Some(report.execution.passed),
        Some(MemberOutcome::TimeBoxed) => {
            Some(report.validation_results.unexpected_behaviors.is_empty())
        }
        Some(MemberOutcome::Skipped) => None,
    }
}

/// The members as the suite shows them, and its summary as of `now`.
/// `reports[i]` is member `i`'s report, present once its execution has ended.
pub fn summarize_suite(
    suite: &SuiteRecord,
    reports: &[Option<ExecutionReport>],
    now: OffsetDateTime,
) -> (Vec<SuiteMember>, ChaosSummary) {
    let members: Vec<SuiteMember> = suite
        .members
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let report = reports.get(i).and_then(Option::as_ref);
            let status = match member.execution_status {
                Some(status) => status.as_str().to_owned(),
                None if member.outcome == Some(MemberOutcome::Skipped) => "skipped".to_owned(),
                None if suite.status.is_finished() => "not_run".to_owned(),
                None => "pending".to_owned(),
            };
            SuiteMember {
                position: member.position,
                execution_id: member.execution_id.clone(),
                scenario: member.scenario.clone(),
                status,
                passed: report.and_then(|r| member_passed(r, member.outcome)),
                duration_seconds: report
                    .and_then(|r| r.execution.duration_ms)
                    .map(|ms| ms as f64 / 1000.0),
                recovery_time_seconds: report.and_then(recovery_time_seconds),
                step: member.step.clone(),
                iteration: member.iteration,
                outcome: member.outcome,
            }
        })
        .collect();
    let total = members.len();
    let passed = members.iter().filter(|m| m.passed == Some(true)).count();
    let skipped = members
        .iter()
        .filter(|m| m.outcome == Some(MemberOutcome::Skipped))
        .count();
    let pending = members
        .iter()
        .filter(|m| {
            m.passed.is_none() && m.status != "not_run" && m.outcome != Some(MemberOutcome::Skipped)
        })
        .count();
    let counted = total - skipped;
    let recoveries: Vec<f64> = members
        .iter()
        .filter_map(|m| m.recovery_time_seconds)
        .collect();
    let parse = |text: &str| OffsetDateTime::parse(text, &Rfc3339).ok();
    let created = parse(&suite.created_at);
    let end = suite.finished_at.as_deref().and_then(parse).unwrap_or(now);
    let summary = ChaosSummary {
        test_run: ChaosTestRun {
            suite_id: suite.id.clone(),
            timestamp: suite
                .finished_at
                .clone()
                .unwrap_or_else(|| suite.created_at.clone()),
            duration_seconds: created
                .map(|start| round(((end - start).as_seconds_f64()).max(0.0), 3))
                .unwrap_or(0.0),
            mode: suite.mode,
            parallel: suite.parallel,
            seed: suite.seed,
            speed: suite
                .options
                .get("speed")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(1.0),
            total_scenarios: total,
            scenarios_run: members.iter().map(|m| m.scenario.clone()).collect(),
        },
        results: ChaosResults {
            passed_scenarios: passed,
            failed_scenarios: counted - passed - pending,
            pending_scenarios: pending,
            skipped_scenarios: skipped,
            pass_rate_percent: if counted == 0 {
                0.0
            } else {
                round(passed as f64 * 100.0 / counted as f64, 2)
            },
            average_recovery_time_seconds: (!recoveries.is_empty())
                .then(|| round(recoveries.iter().sum::<f64>() / recoveries.len() as f64, 3)),
            recovery_samples: recoveries.len(),
        },
    };
    (members, summary)
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use app::api::{
        suite::{SuiteMode, SuiteStatus},
        ExecutionStatus,
    };
    use time::macros::datetime;

    use super::*;
    use crate::{
        report::{generate, testdata},
        store::MemberRecord,
    };

    fn member(position: usize, status: Option<ExecutionStatus>) -> MemberRecord {
        MemberRecord {
            position,
            execution_id: format!("e{position}"),
            scenario: format!("scenario-{position}"),
            execution_status: status,
            step: None,
            iteration: None,
            outcome: None,
        }
    }

    fn suite(status: SuiteStatus, members: Vec<MemberRecord>) -> SuiteRecord {
        SuiteRecord {
            id: "s".into(),
            mode: SuiteMode::Random,
            parallel: false,
            seed: Some(7),
            options: serde_json::json!({"speed": 600.0}),
            status,
            started_by: "api".into(),
            created_at: "2026-01-01T10:00:00Z".into(),
            finished_at: (status != SuiteStatus::Running).then(|| "2026-01-01T10:01:30Z".into()),
            members,
            orchestration: None,
        }
    }

    /// The fixture's report, passed or not, with a recovery of `recovery_ms`.
    fn report(passed: bool, recovery_ms: Option<u64>) -> ExecutionReport {
        let mut report = generate(&testdata::input(), testdata::generated_at(), "t");
        report.execution.passed = passed;
        for service in &mut report.system_impact.services_affected {
            service.recovery_ms = recovery_ms;
        }
        report
    }

    #[test]
    fn counts_pass_rate_and_average_recovery_follow_the_members() {
        let suite = suite(
            SuiteStatus::Failed,
            vec![
                member(0, Some(ExecutionStatus::Completed)),
                member(1, Some(ExecutionStatus::Failed)),
                member(2, Some(ExecutionStatus::Completed)),
            ],
        );
        let reports = vec![
            Some(report(true, Some(20_000))),
            Some(report(false, None)),
            Some(report(true, Some(45_000))),
        ];
        let (members, summary) =
            summarize_suite(&suite, &reports, datetime!(2026-01-01 11:00:00 UTC));
        assert_eq!(summary.results.passed_scenarios, 2);
        assert_eq!(summary.results.failed_scenarios, 1);
        assert_eq!(summary.results.pending_scenarios, 0);
        assert_eq!(summary.results.pass_rate_percent, 66.67);
        assert_eq!(summary.results.average_recovery_time_seconds, Some(32.5));
        assert_eq!(summary.results.recovery_samples, 2);
        assert_eq!(summary.test_run.total_scenarios, 3);
        assert_eq!(summary.test_run.duration_seconds, 90.0, "creation to end");
        assert_eq!(summary.test_run.timestamp, "2026-01-01T10:01:30Z");
        assert_eq!(summary.test_run.seed, Some(7));
        assert_eq!(summary.test_run.speed, 600.0);
        assert_eq!(
            summary.test_run.scenarios_run,
            ["scenario-0", "scenario-1", "scenario-2"]
        );
        assert_eq!(members[1].passed, Some(false));
        assert_eq!(members[0].recovery_time_seconds, Some(20.0));
    }

    #[test]
    fn members_not_yet_run_are_pending_and_after_an_interruption_not_run() {
        let members = vec![
            member(0, Some(ExecutionStatus::Completed)),
            member(1, Some(ExecutionStatus::Running)),
            member(2, None),
        ];
        let reports = vec![Some(report(true, None)), None, None];
        let now = datetime!(2026-01-01 10:00:10 UTC);
        let (shown, summary) =
            summarize_suite(&suite(SuiteStatus::Running, members.clone()), &reports, now);
        assert_eq!(shown[1].status, "running");
        assert_eq!(shown[2].status, "pending");
        assert_eq!(summary.results.pending_scenarios, 2);
        assert_eq!(summary.results.failed_scenarios, 0);
        assert_eq!(summary.results.average_recovery_time_seconds, None);
        assert_eq!(summary.test_run.duration_seconds, 10.0, "up to now");
        assert_eq!(summary.test_run.timestamp, "2026-01-01T10:00:00Z");

        let mut members = members;
        members[1].execution_status = Some(ExecutionStatus::Interrupted);
        let reports = vec![Some(report(true, None)), Some(report(false, None)), None];
        let (shown, summary) =
            summarize_suite(&suite(SuiteStatus::Interrupted, members), &reports, now);
        assert_eq!(shown[2].status, "not_run");
        assert_eq!(summary.results.failed_scenarios, 2, "not run is not passed");
        assert_eq!(summary.results.pass_rate_percent, 33.33);
    }

    #[test]
    fn a_time_boxed_member_passes_when_nothing_failed_and_a_skipped_one_counts_as_neither() {
        let mut members = vec![
            member(0, Some(ExecutionStatus::Stopped)),
            member(1, Some(ExecutionStatus::Stopped)),
            member(2, Some(ExecutionStatus::Stopped)),
            member(3, None),
        ];
        members[0].outcome = Some(MemberOutcome::TimeBoxed);
        members[1].outcome = Some(MemberOutcome::TimeBoxed);
        members[2].outcome = Some(MemberOutcome::Skipped);
        members[3].outcome = Some(MemberOutcome::Skipped);
        // A stopped run's report never says passed; the time box decides.
        let mut clean = report(false, None);
        clean.validation_results.unexpected_behaviors.clear();
        let mut troubled = clean.clone();
        troubled.validation_results.unexpected_behaviors = with_failed_action(&troubled);
        assert!(!troubled.validation_results.unexpected_behaviors.is_empty());
        let reports = vec![Some(clean.clone()), Some(troubled), Some(clean), None];
        let (shown, summary) = summarize_suite(
            &suite(SuiteStatus::Failed, members),
            &reports,
            datetime!(2026-01-01 11:00:00 UTC),
        );
        assert_eq!(
            shown[0].passed,
            Some(true),
            "nothing failed before its time box"
        );
        assert_eq!(shown[1].passed, Some(false), "an action failed before it");
        assert_eq!(shown[2].passed, None, "skipped while running");
        assert_eq!(shown[3].status, "skipped", "skipped before it started");
        assert_eq!(summary.results.skipped_scenarios, 2);
        assert_eq!(summary.results.passed_scenarios, 1);
        assert_eq!(summary.results.failed_scenarios, 1);
        assert_eq!(summary.results.pending_scenarios, 0);
        assert_eq!(
            summary.results.pass_rate_percent, 50.0,
            "over the members not skipped"
        );
    }

    fn with_failed_action(
        report: &ExecutionReport,
    ) -> Vec<crate::report::schema::UnexpectedBehavior> {
        let mut behaviors = report.validation_results.unexpected_behaviors.clone();
        behaviors.push(crate::report::schema::UnexpectedBehavior {
            kind: "action_failed".into(),
            phase: Some("p".into()),
            offset_ms: Some(1000),
            subject: "svc.latency".into(),
            message: "the call failed".into(),
        });
        behaviors
    }
}
