// The fault-injection proxy in the browser (docs/proxy.md): the default
// market-data-proxy on the services page with its address, faults, lease
// countdown and counters; a fault injected by hand after a confirmation and
// audited; a mistake said before anything is sent; what a run's faults did,
// in its live view.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

const row = '#services-table tr[data-service="market-data-proxy"]';

test('an operator injects a fault through the proxy by hand, watches its lease count down, and clears it', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/services`);
  await hydrated(page);
  await page.waitForSelector(`${row} .proxy-counters`);
  assert.match(await page.textContent(`${row} .proxy-address`), /http proxy → 127\.0\.0\.1:\d+/);
  assert.match(await page.textContent(`${row} .chaos-cell`), /none/);

  // A mistake is said at once, and nothing is sent.
  await page.selectOption('#inject-service', 'market-data-proxy');
  await page.selectOption('#inject-action', 'latency');
  await page.fill('#inject-parameters', '{oops');
  await page.click('#inject-fault');
  await page.click('#inject-fault-confirm');
  await page.waitForSelector('#inject-feedback :text("Parameters must be a JSON object")');

  await page.fill('#inject-parameters', '{"latency": 40}');
  await page.fill('#inject-ttl', '2m');
  await page.click('#inject-fault');
  assert.match(await page.textContent('#inject .confirm'), /Inject latency on market-data-proxy for 2m\?/);
  await screenshot(page, 'services-inject-confirm');
  await page.click('#inject-fault-confirm');
  await page.waitForSelector('#inject-feedback :text("latency injected on market-data-proxy")');
  const fault = `${row} li[data-fault="latency"]`;
  await page.waitForSelector(fault);
  const first = await page.textContent(`${fault} .lease`);
  assert.match(first, /by hand, (1m \d\ds|2m 00s) left/);
  // The lease counts down as the page refreshes.
  await page.waitForFunction(
    ([selector, before]) => { const now = document.querySelector(selector)?.textContent; return now && now !== before; },
    [`${fault} .lease`, first],
    { timeout: 10_000 },
  );
  // Traffic through the front door is delayed and counted.
  const front = `http://${(await page.textContent(`${row} th code`)).replace(/^http:\/\//, '').replace(/\/$/, '')}`;
  const started = Date.now();
  await fetch(`${front}/health`);
  assert.ok(Date.now() - started >= 40, 'the fault delays callers');
  await page.waitForFunction((selector) => /\d+ latency/.test(document.querySelector(selector)?.textContent ?? ''), `${row} .proxy-counters`);
  await screenshot(page, 'services-proxy-fault');

  const audit = await (await fetch(`${BASE}/api/v1/audit?action=inject-chaos`)).json();
  assert.ok(audit.entries.some((e) => e.status === 200 && e.target?.includes('market-data-proxy')), JSON.stringify(audit));

  await page.click('#clear-market-data-proxy');
  await page.click('#clear-market-data-proxy-confirm');
  await page.waitForSelector('#clear-feedback :text("Chaos cleared on market-data-proxy")');
  await page.waitForFunction((selector) => /none/.test(document.querySelector(selector)?.textContent ?? ''), `${row} .chaos-cell`);
  assert.deepEqual(problems, []);
});

test("a run's proxied faults show their effects in its live view", async () => {
  const { page, problems } = browser;
  const yaml = `apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "proxy-effects-e2e"
spec:
  workload:
    streams:
      - {name: reads, service: market-data-proxy, method: GET, path: /api/v1/prices/BTC-USD, rate: 20, timeout: 2s}
  phases:
    - name: "slow"
      duration: "6s"
      actions:
        - service: "market-data-proxy"
          action: "latency"
          parameters: {latency: 20}
      assertions:
        - type: "metric"
          expect: "p50_latency_ms >= 20"
          within: "6s"
          parameters: {window: "2s"}
`;
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml, options: { speed: 1 } }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  const { execution_id: id } = await response.json();
  await page.goto(`${BASE}/executions/${id}`);
  await hydrated(page);
  await page.waitForSelector('#chaos-effects tr[data-effect="LatencyInjection"]', { timeout: 20_000 });
  await page.waitForSelector('#verdict', { timeout: 20_000 });
  const touched = Number(await page.textContent('#chaos-effects tr[data-effect="LatencyInjection"] td:nth-child(3)'));
  assert.ok(touched >= 50, `${touched} reads delayed`);
  assert.match(await page.textContent('#event-log'), /market-data-proxy: LatencyInjection × \d+: \+2\d ms/);
  await screenshot(page, 'live-chaos-effects');
  assert.deepEqual(problems, []);
});
