//! The summary over several reports (N1V1's `chaos_summary.json`): pass rate and
//! mean recovery time. A step after [`build()`](super::build()): it reads built reports only.

use serde::{Deserialize, Serialize};

use super::{build::mean, schema::ExecutionReport};

/// The summary over several executions (N1V1's `chaos_summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    /// What ran.
    pub test_run: SummaryRun,
    /// How it went.
    pub results: SummaryResults,
    /// One line per execution, in the order given.
    pub executions: Vec<SummaryEntry>,
}

/// What ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryRun {
    /// Executions summarised.
    pub total_executions: usize,
    /// Distinct scenario names, first seen first.
    pub scenarios_run: Vec<String>,
    /// Earliest start.
    pub first_started_at: Option<String>,
    /// Latest end.
    pub last_finished_at: Option<String>,
    /// Sum of the executions' wall-clock durations.
    pub total_duration_ms: u64,
}

/// How it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryResults {
    /// Executions that passed.
    pub passed_executions: usize,
    /// Those that did not.
    pub failed_executions: usize,
    /// passed / total × 100 (0 with no executions).
    pub pass_rate_percent: f64,
    /// Mean of every service recovery time measured; null when none was.
    pub average_recovery_time_ms: Option<f64>,
    /// How many recovery times that mean is over.
    pub recovery_samples: usize,
    /// Assertions, in all.
    pub total_assertions: usize,
    /// Of which held.
    pub passed_assertions: usize,
    /// Of which failed.
    pub failed_assertions: usize,
}

/// One execution in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryEntry {
    /// Execution id.
    pub execution_id: String,
    /// Scenario name.
    pub scenario: String,
    /// State.
    pub status: String,
    /// Whether it passed.
    pub passed: bool,
    /// Wall-clock duration.
    pub duration_ms: Option<u64>,
    /// Mean recovery time of its services, when measured.
    pub average_recovery_ms: Option<f64>,
}

/// Summarises several reports: pass rate and mean recovery time.
pub fn summarize(reports: &[ExecutionReport]) -> Summary {
    let mut scenarios_run: Vec<String> = Vec::new();
    let mut recoveries: Vec<f64> = Vec::new();
    let mut executions = Vec::with_capacity(reports.len());
    let (mut assertions, mut passed_assertions, mut failed_assertions) = (0, 0, 0);
    for report in reports {
        if !scenarios_run.contains(&report.scenario.name) {
            scenarios_run.push(report.scenario.name.clone());
        }
        let own = report.recovery_times_ms();
        recoveries.extend(&own);
        assertions += report.validation_results.total;
        passed_assertions += report.validation_results.passed;
        failed_assertions += report.validation_results.failed;
        executions.push(SummaryEntry {
            execution_id: report.execution.id.clone(),
            scenario: report.scenario.name.clone(),
            status: report.execution.status.clone(),
            passed: report.execution.passed,
            duration_ms: report.execution.duration_ms,
            average_recovery_ms: mean(&own),
        });
    }
    let passed = reports.iter().filter(|r| r.execution.passed).count();
    // RFC 3339 UTC text with a fixed shape sorts as time.
    let first_started_at = reports
        .iter()
        .filter_map(|r| r.execution.started_at.clone())
        .min();
    let last_finished_at = reports
        .iter()
        .filter_map(|r| r.execution.finished_at.clone())
        .max();
    Summary {
        test_run: SummaryRun {
            total_executions: reports.len(),
            scenarios_run,
            first_started_at,
            last_finished_at,
            total_duration_ms: reports.iter().filter_map(|r| r.execution.duration_ms).sum(),
        },
        results: SummaryResults {
            passed_executions: passed,
            failed_executions: reports.len() - passed,
            pass_rate_percent: if reports.is_empty() {
                0.0
            } else {
                passed as f64 * 100.0 / reports.len() as f64
            },
            average_recovery_time_ms: mean(&recoveries),
            recovery_samples: recoveries.len(),
            total_assertions: assertions,
            passed_assertions,
            failed_assertions,
        },
        executions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{generate, testdata};

    fn report() -> ExecutionReport {
        generate(&testdata::input(), testdata::generated_at(), "t")
    }

    #[test]
    fn summaries_count_pass_rate_and_mean_recovery() {
        let failed = report();
        let mut passed = report();
        passed.execution.passed = true;
        passed.execution.id = "other".into();
        passed.system_impact.services_affected[0].recovery_ms = Some(15_000);
        let summary = summarize(&[failed, passed]);
        assert_eq!(summary.test_run.total_executions, 2);
        assert_eq!(summary.test_run.scenarios_run, ["basic-market-disruption"]);
        assert_eq!(summary.test_run.total_duration_ms, 6_002);
        assert_eq!(
            (
                summary.results.passed_executions,
                summary.results.failed_executions
            ),
            (1, 1)
        );
        assert_eq!(summary.results.pass_rate_percent, 50.0);
        assert_eq!(summary.results.average_recovery_time_ms, Some(30_000.0));
        assert_eq!(summary.results.recovery_samples, 2);
        assert_eq!(summary.results.total_assertions, 12);
        assert_eq!(summary.executions[1].average_recovery_ms, Some(15_000.0));
        let empty = summarize(&[]);
        assert_eq!(empty.results.pass_rate_percent, 0.0);
        assert_eq!(empty.results.average_recovery_time_ms, None);
    }
}
