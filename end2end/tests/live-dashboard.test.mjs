// The live view's "polling n" and its reconnection after the WebSocket drops,
// the dashboard's live progress and service health, the history's date range,
// the services' capabilities, the run dialog's keyboard behaviour, and the main
// pages on a narrow window.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, SCREENSHOTS, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

async function execute(body) {
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()).execution_id;
}

const stop = (id) => fetch(`${BASE}/api/v1/scenarios/${id}/stop`, { method: 'POST' });

// An assertion that cannot hold (a healthy service is expected down): it is
// checked again and again until its window closes.
const NEVER_HOLDS = `apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "polling-probe"
  description: "Waits for a healthy service to go down"
spec:
  duration: "10m"
  phases:
    - name: "wait-for-down"
      duration: "10m"
      assertions:
        - type: "service_health"
          service: "exchange-simulator"
          expect: "down"
          within: "10m"
`;

test('an assertion being polled shows "polling n" with what the last check saw', async () => {
  const { page, problems } = browser;
  const id = await execute({ yaml: NEVER_HOLDS, options: { speed: 20 } });
  try {
    await page.goto(`${BASE}/executions/${id}`);
    await hydrated(page);
    const cell = '#assertions-table tr[data-assertion="0.0"] td.result';
    await page.waitForFunction((sel) => /polling [2-9]\d* — not yet/.test(document.querySelector(sel)?.textContent ?? ''), cell, { timeout: 20_000 });
    const first = Number((await page.textContent(cell)).match(/polling (\d+)/)[1]);
    // The count goes on rising as checks arrive over the WebSocket.
    await page.waitForFunction(([sel, n]) => Number((document.querySelector(sel)?.textContent.match(/polling (\d+)/) ?? [])[1]) > n, [cell, first], { timeout: 20_000 });
    assert.match(await page.textContent('.timeline-svg .tl-assert-polling'), /polling \d+/, 'the timeline says it too');
    assert.equal(await page.$('#event-log li[data-kind="assertion_checked"]'), null, 'a check updates its row, not the events log');
    await screenshot(page, 'execution-polling');
    await page.locator('figure.timeline').screenshot({ path: `${SCREENSHOTS}/execution-polling-timeline.png` });
  } finally {
    await stop(id);
  }
  await page.waitForSelector('#verdict', { timeout: 30_000 });
  assert.deepEqual(problems, []);
});

test('the live view reconnects when its WebSocket drops and applies each event once', async () => {
  const { context, problems } = browser;
  const page = await context.newPage();
  const urls = [];
  await page.routeWebSocket(/\/ws\/scenario-execution/, (ws) => {
    urls.push(ws.url());
    const server = ws.connectToServer();
    if (urls.length === 1) {
      // The first connection forwards a few events, then drops.
      let forwarded = 0;
      server.onMessage((message) => {
        ws.send(message);
        forwarded += 1;
        if (forwarded === 4) { ws.close({ code: 1011, reason: 'test drops it' }); server.close(); }
      });
    }
  });
  const id = await execute({ scenario: 'basic-market-disruption', options: { speed: 150 } });
  try {
    await page.goto(`${BASE}/executions/${id}`);
    await hydrated(page);
    await page.waitForFunction(() => /reconnecting/.test(document.querySelector('#link-state')?.textContent ?? ''), null, { timeout: 15_000 });
    await screenshot(page, 'execution-reconnecting');
    await page.waitForSelector('#verdict', { timeout: 60_000 });
    assert.ok(urls.length >= 2, `it reconnected (${urls.length} connections)`);
    assert.match(urls[1], /since=\d+/, 'the reconnection asks only for what it has not seen');
    const seqs = await page.$$eval('#event-log li .log-seq', (els) => els.map((e) => Number(e.textContent.slice(1))).reverse());
    const stored = await (await fetch(`${BASE}/api/v1/scenarios/${id}/logs`)).json();
    // Checks and workload slots have their row and chart, not log lines; the log
    // shows the latest 100 lines.
    const expected = (stored.events ?? stored.logs ?? stored)
      .filter((e) => e.kind !== 'assertion_checked' && e.kind !== 'workload_slot').map((e) => e.seq).slice(-100);
    assert.deepEqual(seqs, expected, 'every stored event, once each, in order');
    assert.match(await page.textContent('#link-state'), /ended/);
  } finally {
    await stop(id);
    await page.close();
  }
  assert.deepEqual(problems, []);
});

test('the dashboard shows running executions with live progress and the services at a glance', async () => {
  const { page, problems } = browser;
  const id = await execute({ scenario: 'basic-market-disruption', options: { speed: 20 } });
  try {
    await page.goto(`${BASE}/`);
    await hydrated(page);
    const bar = `#active-executions [data-id="${id}"] progress`;
    await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute('data-elapsed')) > 0, bar, { timeout: 20_000 });
    const before = Number(await page.getAttribute(bar, 'data-elapsed'));
    // No reload: the page asks again every two seconds and the bar moves on.
    await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.getAttribute('data-elapsed')) > n, [bar, before], { timeout: 15_000 });
    assert.match(await page.textContent(`#active-executions [data-id="${id}"]`), /phase \d of \d/);
    assert.equal(await page.getAttribute(bar, 'max'), String(30 * 60 * 1000));
    await page.waitForSelector('#service-health .chip');
    assert.ok(await page.$$eval('#service-health .chip-ok', (els) => els.length) >= 6, 'every sandbox service healthy');
    assert.match(await page.textContent('#health-summary'), /All \d+ services healthy/);
    await screenshot(page, 'dashboard-progress');
  } finally {
    await stop(id);
  }
  // Once it has ended it leaves the list on a later refresh.
  await page.waitForFunction((sel) => !document.querySelector(sel), `#active-executions [data-id="${id}"]`, { timeout: 15_000 });
  assert.deepEqual(problems, []);
});

test('the history filters by a range of days and by part of the name', async () => {
  const { page, problems } = browser;
  const today = new Date().toISOString().slice(0, 10);
  const id = await execute({ scenario: 'volatility-spike', options: { speed: 100000 } });
  await page.goto(`${BASE}/executions?scenario=SPIKE&from=${today}&to=${today}`);
  await hydrated(page);
  await page.waitForSelector(`#executions-table tr[data-id="${id}"]`);
  const names = await page.$$eval('#executions-table tbody tr th', (els) => els.map((e) => e.textContent));
  assert.ok(names.length > 0 && names.every((n) => /spike/i.test(n)), `only matching names: ${names}`);
  assert.equal(await page.inputValue('#history-from'), today, 'the form shows the range');
  await screenshot(page, 'history-date-range');
  // A range in the past has nothing; the form submits it in the browser.
  await page.fill('#history-from', '2001-01-01');
  await page.fill('#history-to', '2001-01-31');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/to=2001-01-31/);
  await page.waitForSelector('#no-executions');
  // The REST API takes the same filters.
  const api = await (await fetch(`${BASE}/api/v1/executions?scenario_contains=SPIKE&since=${today}`)).json();
  assert.ok(api.executions.some((e) => e.id === id));
  assert.ok(api.executions.every((e) => /spike/.test(e.scenario_name)));
  assert.deepEqual(problems, []);
});

test('the services page lists what each service can do', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/services`);
  await hydrated(page);
  const cell = await page.textContent('#services-table tr[data-service="exchange-simulator"] .capabilities-cell');
  assert.match(cell, /inject_latency/);
  assert.match(cell, /clear_chaos/);
  assert.match(cell, /http/);
  assert.ok(await page.getAttribute('#services-table tr[data-service="exchange-simulator"] .capabilities code', 'title'), 'each action explains itself');
  await screenshot(page, 'services-capabilities');
  assert.deepEqual(problems, []);
});

test('the run dialog keeps the focus inside while open and closes on Escape', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/basic-market-disruption`);
  await hydrated(page);
  await page.focus('#run-button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#run-dialog');
  await page.waitForFunction(() => document.activeElement?.id === 'run-speed');
  const inside = () => page.evaluate(() => document.querySelector('#run-dialog').contains(document.activeElement));
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    assert.equal(await inside(), true, `Tab ${i + 1} stays in the dialog`);
  }
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Shift+Tab');
    assert.equal(await inside(), true, `Shift+Tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press('Escape');
  await page.waitForSelector('#run-dialog', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-button', 'the focus returns to the Run button');
  assert.deepEqual(problems, []);
});

test('the main pages fit a narrow window without sideways scrolling', async () => {
  const narrow = await openBrowser({ width: 390, height: 844 });
  try {
    const { page, problems } = narrow;
    for (const [path, name] of [['/', 'narrow-dashboard'], ['/scenarios/stablecoin-depeg-scenario', 'narrow-scenario'], ['/scenarios/volatility-spike/edit', 'narrow-editor'], ['/executions', 'narrow-history'], ['/services', 'narrow-services']]) {
      await page.goto(`${BASE}${path}`);
      await hydrated(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
      await screenshot(page, name);
    }
    assert.deepEqual(problems, []);
  } finally {
    await narrow.context.close();
  }
});
