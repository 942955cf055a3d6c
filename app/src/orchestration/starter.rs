//! The starter document: what `orchestrate template` prints, a commented
//! orchestration that validates against the default configuration (its
//! `market-data-proxy` and the library's `basic-market-disruption`).

/// A commented starter orchestration, in YAML.
pub fn template_yaml() -> &'static str {
    STARTER
}

const STARTER: &str = r#"# An orchestration: scenarios run as steps, one after another (or all at once
# with `parallel: true`). JSON with the same keys works too.
name: my-chaos-drill                # lowercase letters, digits, '-' and '_'
description: Slow prices, a library scenario, then errors and a quiet period

steps:
  # Faults on one service through its fault-injection proxy, for
  # duration_seconds. `config` takes `service` and any of `latency`,
  # `rate_limit`, `fault_injection` and `traffic_shaping` (TCP proxies only).
  - name: slow-prices
    scenario:
      config:
        service: market-data-proxy
        latency:
          fixed_delay_ms: 200       # added to each request, 0 to 600000
          jitter_ms: 50             # ± up to this much
          probability: 0.5          # the share of requests delayed (default 1)
          path: /api/v1/prices/*    # only these paths (default: all)
    duration_seconds: 60

  # A scenario from the library, by name. Instead of a name, a step may run
  # `{id: <upload>, version: 2}`, `{template: <name>, parameters: {...}}` or
  # `{inline: <a whole scenario: apiVersion, kind, metadata, spec>}`.
  - name: disruption
    scenario: basic-market-disruption
    delay_before_seconds: 10        # wait this long before the step starts
    continue_on_failure: true       # go on to the next step even if it fails

  - name: errors
    scenario:
      config:
        service: market-data-proxy
        fault_injection:
          http_errors: [500, 503]   # each code answers an equal share...
          http_error_probability: 0.2  # ...of 20 % of the requests
    duration_seconds: 60

  # `enabled: false` injects nothing: a quiet period to watch recovery.
  - name: recovery
    scenario:
      config:
        service: market-data-proxy
        enabled: false
    duration_seconds: 30

parallel: false                     # true: every step starts at once
loop_orchestration: false           # true: run the steps max_iterations times
max_iterations: 1                   # 1 to 100 (at most 1000 executions in all)
tags: [example, proxy]
"#;
