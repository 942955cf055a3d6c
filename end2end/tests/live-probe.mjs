// Shared by the live view's scale test (tests/live-scale.test.mjs) and its
// benchmark (measure/live.test.mjs): the two runs that stress the live view and
// a probe that follows one in a page and measures it.
//
// The figures, all taken in the page or from the server's own record:
// - long tasks (PerformanceObserver 'longtask'), after the first paint and after
//   hydration (a debug build's WASM takes a while to compile and hydrate once);
// - the time from the server's `execution_finished` (its `at`, same machine
//   clock) to the verdict in the DOM (a MutationObserver in the page);
// - the JS heap (CDP Runtime.getHeapUsage), sampled every second, the largest;
// - how long a trivial script took to answer (page.evaluate round trip), the
//   largest: a tab that stops responding shows here;
// - the events log's rows in the DOM, the largest seen.
import assert from 'node:assert/strict';
import { BASE, hydrated } from './helpers.mjs';

/** The README's example: ≈3,170 events in ≈36 s at ×3600, most of them checks. */
export const STABLECOIN = { scenario: 'stablecoin-depeg', options: { speed: 3600 } };

const SERVICES = ['exchange-simulator', 'custodian-simulator', 'market-data-simulator', 'trading-engine', 'risk-monitor', 'audit-correlator'];

/**
 * A real run through the real engine that makes ≈20,000 events in ≈20 s: eight
 * assertions that never hold (healthy sandbox services expected down), each
 * polled as often as the engine polls (every 5 ms of real time at most, i.e.
 * every scenario second at ×180) for a one-hour phase run at ×180 (20 s).
 */
export const SYNTHETIC_YAML = `apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "live-scale-probe"
  description: "Eight assertions that never hold, polled as fast as the engine polls"
spec:
  duration: "1h"
  phases:
    - name: "poll"
      duration: "1h"
      assertions:
${[...SERVICES, SERVICES[0], SERVICES[1]].map((s) => `        - type: "service_health"
          service: "${s}"
          expect: "down"
          within: "1h"
`).join('')}`;
export const SYNTHETIC = { yaml: SYNTHETIC_YAML, options: { speed: 180 } };

export async function execute(body) {
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()).execution_id;
}

/** Records long tasks, the first paint and when the verdict appears, from the start. */
export async function instrument(page) {
  await page.addInitScript(() => {
    window.__probe = { longTasks: [], verdictAt: null, hydratedAt: null };
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__probe.longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch { /* no Long Tasks API */ }
    new MutationObserver(() => {
      const p = window.__probe;
      if (p.hydratedAt === null && document.body?.dataset.hydrated === 'true') p.hydratedAt = performance.now();
      if (p.verdictAt === null && document.getElementById('verdict')) p.verdictAt = performance.timeOrigin + performance.now();
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
}

const within = (promise, ms) => Promise.race([promise, new Promise((ok) => setTimeout(() => ok(undefined), ms))]);

/**
 * Opens the execution page of `id`, follows it to the verdict (or `timeoutMs`)
 * and returns the figures. `onLive(page)` runs once, a few seconds in (for
 * screenshots and checks while it runs).
 */
export async function follow(context, page, id, { timeoutMs = 120_000, onLive } = {}) {
  const cdp = await context.newCDPSession(page);
  const opened = Date.now();
  await page.goto(`${BASE}/executions/${id}`);
  await hydrated(page);
  let heapMax = 0;
  let slowestAnswerMs = 0;
  let logRowsMax = 0;
  let liveDone = !onLive;
  let verdict = false;
  while (Date.now() - opened < timeoutMs) {
    const asked = Date.now();
    // A trivial script; if the tab does not answer in 5 s it counts as 5 s and
    // the probe goes on (the old live view could take over 20 s).
    const answer = await within(page.evaluate(() => ({
      verdict: !!document.getElementById('verdict'),
      logRows: document.querySelectorAll('#event-log li').length,
    })), 5_000);
    slowestAnswerMs = Math.max(slowestAnswerMs, Date.now() - asked);
    const heap = await within(cdp.send('Runtime.getHeapUsage'), 5_000);
    if (heap) heapMax = Math.max(heapMax, heap.usedSize);
    if (answer) {
      logRowsMax = Math.max(logRowsMax, answer.logRows);
      if (answer.verdict) { verdict = true; break; }
    }
    if (!liveDone && Date.now() - opened > 6_000) { liveDone = true; await onLive(page); }
    await new Promise((ok) => setTimeout(ok, 1_000));
  }
  const server = await finished(id);
  const probe = await within(page.evaluate(() => window.__probe), 10_000);
  const paint = await within(page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0), 10_000);
  const longTasks = probe?.longTasks ?? [];
  const after = (t) => longTasks.filter((e) => e.start >= t);
  const summary = (tasks) => ({ count: tasks.filter((e) => e.duration > 100).length, worstMs: Math.round(Math.max(0, ...tasks.map((e) => e.duration))) });
  return {
    events: server.events,
    checks: server.checks,
    serverSeconds: server.seconds,
    verdict,
    verdictAfterFinishedMs: verdict && probe?.verdictAt && server.finishedAt ? Math.round(probe.verdictAt - server.finishedAt) : null,
    longTasksAfterPaint: summary(after(paint ?? 0)),
    longTasksAfterHydration: summary(after(probe?.hydratedAt ?? 0)),
    heapMaxMB: Math.round(heapMax / 1e5) / 10,
    slowestAnswerMs,
    logRowsMax,
  };
}

/** The server's record of the run: event count, checks, when it finished. */
export async function finished(id) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { events } = await (await fetch(`${BASE}/api/v1/scenarios/${id}/logs?limit=100000`)).json();
    const end = events.find((e) => e.kind === 'execution_finished');
    if (end || Date.now() > deadline) {
      const started = events.find((e) => e.kind === 'execution_started');
      const at = (e) => (e ? Date.parse(e.at) + Number((e.at.match(/\.\d{3}(\d*)Z$/)?.[1] ?? '').padEnd(6, '0').slice(0, 6)) / 1e6 : null);
      return {
        events: events.length,
        checks: events.filter((e) => e.kind === 'assertion_checked').length,
        finishedAt: at(end),
        seconds: end && started ? Math.round((at(end) - at(started)) / 100) / 10 : null,
      };
    }
    await new Promise((ok) => setTimeout(ok, 1_000));
  }
}
