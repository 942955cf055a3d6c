//! `process` services: local commands the coordinator supervises with `start`,
//! `stop` (SIGTERM, then SIGKILL after a grace period), `kill` (SIGKILL) and
//! `restart`, so "restart a service and validate its recovery" runs for real.
//! `start` and `restart` succeed once the service's health endpoint answers 2xx.

use std::{
    collections::HashMap,
    process::Stdio,
    time::{Duration, Instant},
};

use reqwest::Client;
use serde_json::{json, Value};
use tokio::{process::Child, sync::Mutex};

use crate::{config::ServiceConfig, engine::event::ActionOutcome};

/// The children the coordinator started, by service name. Children are killed
/// when the supervisor is dropped (`kill_on_drop`), so none outlive it.
#[derive(Debug, Default)]
pub struct Supervisor {
    children: Mutex<HashMap<String, Child>>,
}

/// How often a starting service's health is polled.
const HEALTH_POLL: Duration = Duration::from_millis(50);

impl Supervisor {
    /// Performs a process action (`start`, `stop`, `kill`, `restart`).
    pub async fn act(
        &self,
        client: &Client,
        service: &ServiceConfig,
        action: &str,
    ) -> ActionOutcome {
        let started = Instant::now();
        let result = match action {
            "start" => self.start(client, service).await,
            "stop" => self.stop(service, false).await,
            "kill" => self.stop(service, true).await,
            "restart" => match self.stop(service, false).await {
                Ok(_) => self.start(client, service).await,
                Err(e) => Err(e),
            },
            other => Err(format!(
                "{} is a process service: {other} is not one of start, stop, kill, restart",
                service.name
            )),
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(response) => ActionOutcome {
                ok: true,
                status: None,
                latency_ms,
                message: format!(
                    "{} {action}: {}",
                    service.name,
                    response["message"].as_str().unwrap_or("done")
                ),
                response,
            },
            Err(message) => ActionOutcome {
                ok: false,
                status: None,
                latency_ms,
                message,
                response: Value::Null,
            },
        }
    }

    async fn start(&self, client: &Client, service: &ServiceConfig) -> Result<Value, String> {
        let Some(process) = &service.process else {
            return Err(format!(
                "{} has no process command in its config",
                service.name
            ));
        };
        let mut children = self.children.lock().await;
        if let Some(child) = children.get_mut(&service.name) {
            if child.try_wait().ok().flatten().is_none() {
                return Err(format!(
                    "{} is already running (pid {:?}); use restart",
                    service.name,
                    child.id()
                ));
            }
        }
        let mut command = tokio::process::Command::new(&process.command);
        command
            .args(&process.args)
            .envs(&process.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(cwd) = &process.cwd {
            command.current_dir(cwd);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", process.command))?;
        let pid = child.id();
        let url = format!(
            "{}{}",
            service.url.as_str().trim_end_matches('/'),
            service.health_endpoint
        );
        let deadline = Instant::now() + service.timeout;
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited during start-up ({status})",
                    service.name
                ));
            }
            let healthy = client
                .get(&url)
                .timeout(HEALTH_POLL * 10)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                break;
            }
            if Instant::now() >= deadline {
                let _ = child.start_kill();
                return Err(format!(
                    "{} did not become healthy at {url} within {:?}",
                    service.name, service.timeout
                ));
            }
            tokio::time::sleep(HEALTH_POLL).await;
        }
        let ready_ms = started.elapsed().as_secs_f64() * 1000.0;
        children.insert(service.name.clone(), child);
        Ok(
            json!({"message": format!("running (pid {pid:?}), healthy after {ready_ms:.0} ms"), "pid": pid, "healthy_after_ms": ready_ms}),
        )
    }

    async fn stop(&self, service: &ServiceConfig, kill: bool) -> Result<Value, String> {
        let Some(mut child) = self.children.lock().await.remove(&service.name) else {
            return Ok(json!({"message": "was not running"}));
        };
        let pid = child.id();
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(json!({"message": format!("had already exited ({status})"), "pid": pid}));
        }
        let grace = service
            .process
            .as_ref()
            .map_or(Duration::ZERO, |p| p.stop_grace);
        if !kill {
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
                if let Ok(Ok(status)) = tokio::time::timeout(grace, child.wait()).await {
                    return Ok(
                        json!({"message": format!("stopped ({status})"), "pid": pid, "signal": "SIGTERM"}),
                    );
                }
            }
        }
        child
            .kill()
            .await
            .map_err(|e| format!("cannot kill {}: {e}", service.name))?;
        Ok(json!({"message": "killed", "pid": pid, "signal": "SIGKILL"}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProcessConfig;

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// A real HTTP server process: Python's http.server on a free port.
    fn python_service(port: u16) -> ServiceConfig {
        ServiceConfig {
            name: "static-site".into(),
            url: format!("http://127.0.0.1:{port}").parse().unwrap(),
            chaos_api_path: None,
            health_endpoint: "/".into(),
            timeout: Duration::from_secs(20),
            process: Some(ProcessConfig {
                command: "python3".into(),
                args: vec![
                    "-m".into(),
                    "http.server".into(),
                    port.to_string(),
                    "--bind".into(),
                    "127.0.0.1".into(),
                ],
                env: Default::default(),
                cwd: Some(std::env::temp_dir()),
                stop_grace: Duration::from_secs(5),
            }),
            actions: Vec::new(),
            proxy: None,
        }
    }

    async fn healthy(client: &Client, service: &ServiceConfig) -> bool {
        client
            .get(service.url.as_str())
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    #[tokio::test]
    async fn a_process_service_starts_healthy_is_killed_and_restarts() {
        let client = Client::new();
        let service = python_service(free_port());
        let supervisor = Supervisor::default();
        let started = supervisor.act(&client, &service, "start").await;
        assert!(started.ok, "{}", started.message);
        assert!(healthy(&client, &service).await);
        let again = supervisor.act(&client, &service, "start").await;
        assert!(!again.ok, "a second start is refused: {}", again.message);

        let killed = supervisor.act(&client, &service, "kill").await;
        assert!(killed.ok, "{}", killed.message);
        assert_eq!(killed.response["signal"], "SIGKILL");
        assert!(!healthy(&client, &service).await, "killed means down");

        let restarted = supervisor.act(&client, &service, "restart").await;
        assert!(restarted.ok, "{}", restarted.message);
        assert!(healthy(&client, &service).await);

        let stopped = supervisor.act(&client, &service, "stop").await;
        assert!(stopped.ok, "{}", stopped.message);
        assert_eq!(stopped.response["signal"], "SIGTERM");
        assert!(!healthy(&client, &service).await);
    }

    #[tokio::test]
    async fn a_command_that_does_not_exist_is_an_unsuccessful_start() {
        let mut service = python_service(free_port());
        if let Some(p) = service.process.as_mut() {
            p.command = "/nonexistent/program".into();
        }
        let outcome = Supervisor::default()
            .act(&Client::new(), &service, "start")
            .await;
        assert!(!outcome.ok);
        assert!(
            outcome.message.contains("cannot start"),
            "{}",
            outcome.message
        );
    }
}
