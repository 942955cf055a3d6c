//! An execution's recovery time: the one place that defines it, so suites
//! (and anything else that averages recovery times) agree on it.
//!
//! When the scenario drives a workload with a steady state, it is what the
//! workload measured (DESIGN.md §7): from the chaos being cleared until every
//! stream held the steady state again. Otherwise it comes from what the report
//! measures per affected service ([`super::impact`]): from the clear of its chaos
//! to the first assertion whose catalog role is recovery that held
//! ([`ServiceImpact::recovery_ms`](super::schema::ServiceImpact)); the system has
//! recovered when its last affected service has, so it is the longest of those.

use super::ExecutionReport;

/// Seconds of scenario time from the clear of chaos until the system had
/// recovered, or `None` when no recovery was measured.
pub fn recovery_time_seconds(report: &ExecutionReport) -> Option<f64> {
    // Measured by the workload: from the clear until every stream held the
    // steady state again (the last iteration's run).
    if let Some(run) = report.workload.as_ref().and_then(|w| w.runs.last()) {
        if let Some(recovery) = &run.summary.recovery {
            return recovery.recovery_time_ms.map(|ms| ms as f64 / 1000.0);
        }
    }
    report
        .system_impact
        .services_affected
        .iter()
        .filter_map(|service| service.recovery_ms)
        .max()
        .map(|ms| ms as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    #[test]
    fn the_slowest_service_decides_and_none_measured_gives_none() {
        let mut report =
            crate::report::generate(&testdata::input(), testdata::generated_at(), "test");
        assert_eq!(
            recovery_time_seconds(&report),
            Some(45.0),
            "the fixture's one service"
        );
        let services = &mut report.system_impact.services_affected;
        let mut slower = services[0].clone();
        slower.service = "custodian-simulator".into();
        slower.recovery_ms = Some(90_500);
        let mut unmeasured = services[0].clone();
        unmeasured.recovery_ms = None;
        services.push(slower);
        services.push(unmeasured);
        assert_eq!(recovery_time_seconds(&report), Some(90.5));
        for service in &mut report.system_impact.services_affected {
            service.recovery_ms = None;
        }
        assert_eq!(recovery_time_seconds(&report), None);
    }
}
