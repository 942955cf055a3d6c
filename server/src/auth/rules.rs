//! THE role table (docs/auth.md): the one place that says which role each
//! route, server function and page needs, and which use case a state change
//! is recorded under in the audit log.
//!
//! REST and WebSocket routes are keyed by method and route pattern exactly as
//! `/api/openapi.json` spells them; server functions by their endpoint name
//! (`/api/<endpoint>`). A route or server function with no rule is refused
//! (fail closed); the table-driven test `teams_access` walks the served
//! OpenAPI document and the server-function registry and fails for any route
//! without a rule here.

use app::api::auth::Role;
use axum::http::Method;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Open,
    /// At least this role.
    Role(Role),
}

impl Access {
    /// Anyone signed in.
    pub const VIEWER: Access = Access::Role(Role::Viewer);
    /// Operators and admins.
    pub const OPERATOR: Access = Access::Role(Role::Operator);
    /// Admins.
    pub const ADMIN: Access = Access::Role(Role::Admin);

    /// The role needed, if any.
    pub fn role(self) -> Option<Role> {
        match self {
            Self::Open => None,
            Self::Role(role) => Some(role),
        }
    }
}

/// What a route needs, and the audit action of a state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Who may use it.
    pub access: Access,
    /// The use case recorded in the audit log; `None` for reads (not audited).
    pub action: Option<&'static str>,
}

// The table's shorthand.
use Access::Open;
const V: Access = Access::VIEWER;
const O: Access = Access::OPERATOR;
const A: Access = Access::ADMIN;

const fn read(access: Access) -> Rule {
    Rule {
        access,
        action: None,
    }
}

const fn change(access: Access, action: &'static str) -> Rule {
    Rule {
        access,
        action: Some(action),
    }
}

/// The server function that sends `pause`, `resume`, `skip_phase` or `stop`:
/// its audit action depends on the command (see [`control_action`]).
pub const CONTROL_ENDPOINT: &str = "control";
/// The server function that signs in (rate-limited; CSRF double submit).
pub const SIGN_IN_ENDPOINT: &str = "sign-in";

/// The rule of a REST or WebSocket route: `method` and `pattern` as in
/// `/api/openapi.json` (`/api/v1/scenarios/{id}/stop`). `open_metrics` is
/// `auth.open_metrics`.
pub fn rest_rule(method: &Method, pattern: &str, open_metrics: bool) -> Option<Rule> {
    let rule = match (method.as_str(), pattern) {
        // Open: liveness, the API's description, who am I.
        ("GET", "/health") => read(Open),
        ("GET", "/metrics") => read(if open_metrics { Open } else { V }),
        ("GET", "/api/openapi.json") => read(Open),
        ("GET", "/api/v1/me") => read(Open),

        // Executions.
        ("POST", "/api/v1/scenarios/execute") => change(O, "execute"),
        ("GET", "/api/v1/scenarios/active") => read(V),
        ("GET", "/api/v1/scenarios/{id}/status") => read(V),
        ("POST", "/api/v1/scenarios/{id}/stop") => change(O, "stop-execution"),
        ("POST", "/api/v1/scenarios/{id}/pause") => change(O, "pause-execution"),
        ("POST", "/api/v1/scenarios/{id}/resume") => change(O, "resume-execution"),
        ("POST", "/api/v1/scenarios/{id}/skip") => change(O, "skip-phase"),
        ("GET", "/api/v1/scenarios/{id}/logs") => read(V),
        ("GET", "/api/v1/executions") => read(V),
        ("GET", "/api/v1/executions/compare") => read(V),
        ("GET", "/debug/execution-timeline") => read(V),
        ("GET", "/ws/scenario-execution") => read(V),

        // Scenarios, templates, the library, reports.
        ("GET", "/api/v1/scenarios/available") => read(V),
        ("GET", "/api/v1/templates") => read(V),
        ("GET", "/api/v1/catalog") => read(V),
        // They change nothing: viewers may check and render.
        ("POST", "/api/v1/scenarios/validate") => read(V),
        ("POST", "/api/v1/templates/{id}/render") => read(V),
        ("GET", "/api/v1/scenarios/{id}/definition") => read(V),
        ("GET", "/api/v1/scenarios/{id}/yaml") => read(V),
        ("GET", "/api/v1/scenarios/{id}/versions") => read(V),
        ("DELETE", "/api/v1/scenarios/{id}/definition") => change(O, "archive-scenario"),
        ("POST", "/api/v1/scenarios/upload") => change(O, "upload-scenario"),
        ("GET", "/api/v1/scenarios/{id}/report") => read(V),
        ("GET", "/api/v1/reports/summary") => read(V),
        ("GET", "/api/v1/metrics/scenario-performance") => read(V),

        // Services and chaos.
        ("GET", "/api/v1/system/state") => read(V),
        ("GET", "/api/v1/services") => read(V),
        ("POST", "/api/v1/services/clear-chaos") => change(O, "clear-chaos"),

        // Schedules: the product's paths and the seed's twins, the same rules.
        ("GET", "/api/v1/schedules" | "/api/chaos/schedules") => read(V),
        ("GET", "/api/v1/schedules/{id}" | "/api/chaos/schedule/{id}") => read(V),
        // Checks and describes; stores nothing.
        ("POST", "/api/v1/schedules/preview") => read(V),
        ("POST", "/api/v1/schedules" | "/api/chaos/schedule") => change(O, "create-schedule"),
        ("DELETE", "/api/v1/schedules/{id}" | "/api/chaos/schedule/{id}") => {
            change(O, "remove-schedule")
        }
        ("POST", "/api/v1/schedules/{id}/enable" | "/api/chaos/schedule/{id}/enable") => {
            change(O, "enable-schedule")
        }
        ("POST", "/api/v1/schedules/{id}/disable" | "/api/chaos/schedule/{id}/disable") => {
            change(O, "disable-schedule")
        }
        ("POST", "/api/v1/schedules/{id}/trigger" | "/api/chaos/schedule/{id}/trigger") => {
            change(O, "trigger-schedule")
        }
        ("POST", "/api/v1/services/{name}/chaos") => change(O, "inject-chaos"),

        // Recordings and replays: the seed's paths and the product's twins.
        ("GET", "/api/chaos/recording/status" | "/api/v1/recordings/status") => read(V),
        ("GET", "/api/v1/recordings" | "/api/v1/recordings/{id}") => read(V),
        ("GET", "/api/v1/recordings/{id}/export") => read(V),
        // They write nothing: an export and a scenario to review.
        ("POST", "/api/chaos/recording/export" | "/api/v1/recordings/{id}/scenario") => read(V),
        ("POST", "/api/chaos/recording/start" | "/api/v1/recordings") => {
            change(O, "start-recording")
        }
        ("POST", "/api/chaos/recording/stop" | "/api/v1/recordings/{id}/stop") => {
            change(O, "stop-recording")
        }
        ("POST", "/api/v1/recordings/import") => change(O, "import-recording"),
        ("DELETE", "/api/v1/recordings/{id}") => change(O, "remove-recording"),
        ("GET", "/api/chaos/replay/status" | "/api/v1/replays" | "/api/v1/replays/{id}") => read(V),
        ("POST", "/api/chaos/replay/start" | "/api/v1/replays") => change(O, "start-replay"),
        ("POST", "/api/chaos/replay/pause" | "/api/v1/replays/{id}/pause") => {
            change(O, "pause-replay")
        }
        ("POST", "/api/chaos/replay/resume" | "/api/v1/replays/{id}/resume") => {
            change(O, "resume-replay")
        }
        ("POST", "/api/chaos/replay/stop" | "/api/v1/replays/{id}/stop") => {
            change(O, "stop-replay")
        }

        // Suites, and their controls (orchestration runs are suites).
        ("POST", "/api/v1/suites") => change(O, "start-suite"),
        ("GET", "/api/v1/suites") => read(V),
        ("GET", "/api/v1/suites/{id}") => read(V),
        ("POST", "/api/v1/suites/{id}/pause") => change(O, "pause-suite"),
        ("POST", "/api/v1/suites/{id}/resume") => change(O, "resume-suite"),
        ("POST", "/api/v1/suites/{id}/skip") => change(O, "skip-suite-step"),
        ("POST", "/api/v1/suites/{id}/stop") => change(O, "stop-suite"),

        // Orchestrations: the seed's paths and the product's twins.
        ("GET", "/api/chaos/orchestration/status") => read(V),
        ("GET", "/api/v1/orchestrations" | "/api/v1/orchestrations/{id}") => read(V),
        ("GET", "/api/v1/orchestrations/{id}/export") => read(V),
        // Checks; stores nothing.
        ("POST", "/api/v1/orchestrations/validate") => read(V),
        ("POST", "/api/chaos/orchestration/import" | "/api/v1/orchestrations") => {
            change(O, "import-orchestration")
        }
        ("DELETE", "/api/v1/orchestrations/{id}") => change(O, "remove-orchestration"),
        ("POST", "/api/chaos/orchestration/start" | "/api/v1/orchestrations/run") => {
            change(O, "start-orchestration")
        }
        ("POST", "/api/chaos/orchestration/stop") => change(O, "stop-orchestration"),

        // Teams: a user manages their own tokens; an admin manages accounts.
        ("GET", "/api/v1/tokens") => read(V),
        ("POST", "/api/v1/tokens") => change(V, "create-token"),
        ("DELETE", "/api/v1/tokens/{id}") => change(V, "revoke-token"),
        ("GET", "/api/v1/audit") => read(V),
        ("GET", "/api/v1/users") => read(A),
        ("POST", "/api/v1/users") => change(A, "add-user"),
        ("DELETE", "/api/v1/users/{name}") => change(A, "remove-user"),

        // Extra routes a test mounts behind every layer (`build_with_routes`;
        // the binary mounts none, and builds without `test-hooks` have no such rule).
        #[cfg(feature = "test-hooks")]
        (_, test) if test.starts_with("/test/") => read(Open),

        _ => return None,
    };
    Some(rule)
}

/// The rule of server function `endpoint` (`/api/<endpoint>`).
pub fn server_fn_rule(endpoint: &str) -> Option<Rule> {
    let rule = match endpoint {
        "me" => read(Open),
        "sign-in" => change(Open, "sign-in"),
        "sign-out" => change(Open, "sign-out"),

        "overview" | "services" | "executions" | "library" | "scenario-cards" | "scenario"
        | "execution" | "catalog" | "history" | "active" | "service-states"
        | "scenario-versions" | "active-progress" | "compare" | "previous-execution" | "tokens"
        | "audit" | "schedules" | "schedule" => read(V),
        // Checks and describes a timing; stores nothing.
        "preview-schedule" => read(V),
        "create-token" => change(V, "create-token"),
        "revoke-token" => change(V, "revoke-token"),

        "execute" => change(O, "execute"),
        // The action is the command's: see `control_action`.
        "control" => change(O, "control"),
        "save-scenario" => change(O, "save-scenario"),
        "duplicate-scenario" => change(O, "duplicate-scenario"),
        "clear-chaos" => change(O, "clear-chaos"),
        "inject-chaos" => change(O, "inject-chaos"),
        "rerun-execution" => change(O, "rerun-execution"),
        "archive-scenario" => change(O, "archive-scenario"),
        "create-schedule" => change(O, "create-schedule"),
        // One action for both directions (REST has `enable-schedule` and
        // `disable-schedule`); the audit row's target is the schedule.
        "set-schedule-enabled" => change(O, "set-schedule-enabled"),
        "trigger-schedule" => change(O, "trigger-schedule"),
        "remove-schedule" => change(O, "remove-schedule"),

        // Recordings and replays: the audit actions of their REST twins.
        "recordings" | "recording" | "recording-status" | "replay" => read(V),
        // Builds a scenario to review; stores nothing.
        "recording-scenario" => read(V),
        "start-recording" => change(O, "start-recording"),
        "stop-recording" => change(O, "stop-recording"),
        "import-recording" => change(O, "import-recording"),
        "remove-recording" => change(O, "remove-recording"),
        "start-replay" => change(O, "start-replay"),
        "pause-replay" => change(O, "pause-replay"),
        "resume-replay" => change(O, "resume-replay"),
        "stop-replay" => change(O, "stop-replay"),

        // Orchestrations and suite controls: the audit actions of their REST twins.
        "orchestrations" | "orchestration" | "suite" => read(V),
        // Checks; stores nothing. The names are what the browser's editor checks against.
        "check-orchestration" | "orchestration-names" => read(V),
        "import-orchestration" => change(O, "import-orchestration"),
        "remove-orchestration" => change(O, "remove-orchestration"),
        "start-orchestration" => change(O, "start-orchestration"),
        "pause-suite" => change(O, "pause-suite"),
        "resume-suite" => change(O, "resume-suite"),
        "skip-suite-step" => change(O, "skip-suite-step"),
        "stop-suite" => change(O, "stop-suite"),

        "users" => read(A),
        "add-user" => change(A, "add-user"),
        "remove-user" => change(A, "remove-user"),

        _ => return None,
    };
    Some(rule)
}

/// The audit action of the `control` server function's `command`: the same
/// names as the REST routes to the same use cases.
pub fn control_action(command: &str) -> &'static str {
    match command {
        "stop" => "stop-execution",
        "pause" => "pause-execution",
        "resume" => "resume-execution",
        "skip_phase" | "skip" => "skip-phase",
        _ => "control",
    }
}

/// The rule of a page (a Leptos route, answered with HTML): the sign-in page
/// is open, every other page needs a viewer (pages read what viewers read).
pub fn page_rule(pattern: &str) -> Rule {
    if pattern == "/sign-in" {
        read(Access::Open)
    } else {
        read(Access::VIEWER)
    }
}

/// The rule of a static file under the site root (`/pkg/*`, the favicon):
/// open (the same for everyone, and the sign-in page needs them).
pub fn static_rule() -> Rule {
    read(Access::Open)
}

/// The REST twin of each gRPC method (docs/grpc.md): `(gRPC path, method,
/// route pattern)`. A gRPC call takes its twin's rule, so the roles and
/// audit actions of the two APIs cannot drift apart.
pub const GRPC_TWINS: &[(&str, &str, &str)] = &[
    (
        "/test_coordinator.v1.ScenarioExecutionService/ExecuteScenario",
        "POST",
        "/api/v1/scenarios/execute",
    ),
    (
        "/test_coordinator.v1.ScenarioExecutionService/GetExecutionStatus",
        "GET",
        "/api/v1/scenarios/{id}/status",
    ),
    (
        "/test_coordinator.v1.ScenarioExecutionService/StopExecution",
        "POST",
        "/api/v1/scenarios/{id}/stop",
    ),
    (
        "/test_coordinator.v1.ScenarioExecutionService/ListActiveExecutions",
        "GET",
        "/api/v1/scenarios/active",
    ),
    (
        "/test_coordinator.v1.ScenarioExecutionService/WatchExecution",
        "GET",
        "/ws/scenario-execution",
    ),
    (
        "/test_coordinator.v1.ScenarioManagementService/ListScenarios",
        "GET",
        "/api/v1/scenarios/available",
    ),
    (
        "/test_coordinator.v1.ScenarioManagementService/ValidateScenario",
        "POST",
        "/api/v1/scenarios/validate",
    ),
    (
        "/test_coordinator.v1.ScenarioManagementService/CreateScenario",
        "POST",
        "/api/v1/scenarios/upload",
    ),
    (
        "/test_coordinator.v1.ScenarioManagementService/GetScenarioResults",
        "GET",
        "/api/v1/scenarios/{id}/report",
    ),
    ("/grpc.health.v1.Health/Check", "GET", "/health"),
    ("/grpc.health.v1.Health/Watch", "GET", "/health"),
];

/// The gRPC services that describe the others (reflection), open as
/// `/api/openapi.json` is.
const GRPC_REFLECTION: [&str; 2] = [
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// The rule of a gRPC call by its path (`/package.Service/Method`): its REST
/// twin's; none for a path no method has.
pub fn grpc_rule(path: &str, open_metrics: bool) -> Option<Rule> {
    if GRPC_REFLECTION.contains(&path) {
        return rest_rule(&Method::GET, "/api/openapi.json", open_metrics);
    }
    let (_, method, pattern) = GRPC_TWINS.iter().find(|(p, _, _)| *p == path)?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    rest_rule(&method, pattern, open_metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_and_server_fn_paths_to_one_use_case_share_its_rule() {
        for (method, route, endpoint) in [
            (Method::GET, "/api/v1/me", "me"),
            (Method::GET, "/api/v1/services", "services"),
            (Method::GET, "/api/v1/executions", "executions"),
            (Method::POST, "/api/v1/scenarios/execute", "execute"),
            (Method::POST, "/api/v1/services/clear-chaos", "clear-chaos"),
            (
                Method::POST,
                "/api/v1/services/{name}/chaos",
                "inject-chaos",
            ),
            (
                Method::DELETE,
                "/api/v1/scenarios/{id}/definition",
                "archive-scenario",
            ),
            (Method::GET, "/api/v1/schedules", "schedules"),
            (Method::GET, "/api/v1/schedules/{id}", "schedule"),
            (
                Method::POST,
                "/api/v1/schedules/preview",
                "preview-schedule",
            ),
            (Method::POST, "/api/v1/schedules", "create-schedule"),
            (
                Method::POST,
                "/api/v1/schedules/{id}/trigger",
                "trigger-schedule",
            ),
            (Method::DELETE, "/api/v1/schedules/{id}", "remove-schedule"),
            (Method::GET, "/api/v1/recordings", "recordings"),
            (Method::GET, "/api/v1/recordings/{id}", "recording"),
            (Method::GET, "/api/v1/recordings/status", "recording-status"),
            (Method::POST, "/api/v1/recordings", "start-recording"),
            (
                Method::POST,
                "/api/v1/recordings/{id}/stop",
                "stop-recording",
            ),
            (
                Method::DELETE,
                "/api/v1/recordings/{id}",
                "remove-recording",
            ),
            (
                Method::POST,
                "/api/v1/recordings/import",
                "import-recording",
            ),
            (
                Method::POST,
                "/api/v1/recordings/{id}/scenario",
                "recording-scenario",
            ),
            (Method::POST, "/api/v1/replays", "start-replay"),
            (Method::GET, "/api/v1/replays/{id}", "replay"),
            (Method::POST, "/api/v1/replays/{id}/pause", "pause-replay"),
            (Method::POST, "/api/v1/replays/{id}/resume", "resume-replay"),
            (Method::POST, "/api/v1/replays/{id}/stop", "stop-replay"),
            (Method::GET, "/api/v1/tokens", "tokens"),
            (Method::POST, "/api/v1/tokens", "create-token"),
            (Method::DELETE, "/api/v1/tokens/{id}", "revoke-token"),
            (Method::GET, "/api/v1/audit", "audit"),
            (Method::GET, "/api/v1/users", "users"),
            (Method::POST, "/api/v1/users", "add-user"),
            (Method::DELETE, "/api/v1/users/{name}", "remove-user"),
        ] {
            let rule = rest_rule(&method, route, true);
            assert!(rule.is_some(), "{method} {route}");
            assert_eq!(
                rule,
                server_fn_rule(endpoint),
                "{method} {route} ~ {endpoint}"
            );
        }
        for (command, route) in [
            ("stop", "stop"),
            ("pause", "pause"),
            ("resume", "resume"),
            ("skip_phase", "skip"),
        ] {
            let route = format!("/api/v1/scenarios/{{id}}/{route}");
            assert_eq!(
                Some(control_action(command)),
                rest_rule(&Method::POST, &route, true).and_then(|r| r.action),
                "{command}"
            );
        }
    }

    #[test]
    fn unknown_routes_have_no_rule_and_metrics_follow_the_flag() {
        assert_eq!(rest_rule(&Method::GET, "/api/v1/nope", true), None);
        assert_eq!(
            rest_rule(&Method::PUT, "/api/v1/scenarios/execute", true),
            None
        );
        assert_eq!(server_fn_rule("nope"), None);
        assert_eq!(
            rest_rule(&Method::GET, "/metrics", true).map(|r| r.access),
            Some(Access::Open)
        );
        assert_eq!(
            rest_rule(&Method::GET, "/metrics", false).map(|r| r.access),
            Some(Access::VIEWER)
        );
        assert_eq!(page_rule("/sign-in").access, Access::Open);
        assert_eq!(page_rule("/executions/{id}").access, Access::VIEWER);
    }

    #[test]
    fn reads_are_never_audited_and_changes_need_a_role_or_are_sign_in_out() {
        for endpoint in ["overview", "tokens", "audit", "users", "me"] {
            assert_eq!(
                server_fn_rule(endpoint).and_then(|r| r.action),
                None,
                "{endpoint}"
            );
        }
        assert_eq!(
            rest_rule(&Method::POST, "/api/v1/scenarios/validate", true).and_then(|r| r.action),
            None
        );
    }
}
