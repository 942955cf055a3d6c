// History (filters, paging, open a finished execution), services (health, active
// chaos, clear with a confirmation) and the dashboard's running executions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

async function execute(scenario, options) {
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario, options }),
  });
  assert.equal(response.status, 202);
  return (await response.json()).execution_id;
}

async function waitFinished(id) {
  for (let i = 0; i < 300; i++) {
    const detail = await (await fetch(`${BASE}/api/v1/scenarios/${id}/status`)).json();
    if (!['queued', 'running', 'paused'].includes(detail.status)) return detail.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} did not finish`);
}

test('the dashboard shows a running execution; the history filters and opens a finished one', async () => {
  const { page, problems } = browser;
  const slow = await execute('basic-market-disruption', { speed: 1 });
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await page.waitForSelector(`#active-executions [data-id="${slow}"]`);
  await screenshot(page, 'dashboard-running');
  await fetch(`${BASE}/api/v1/scenarios/${slow}/stop`, { method: 'POST' });
  const done = await execute('volatility-spike', { speed: 100000 });
  const ended = await waitFinished(done);
  assert.ok(['completed', 'failed', 'timed_out'].includes(ended), ended);

  await page.goto(`${BASE}/executions?scenario=volatility-spike`);
  await hydrated(page);
  const rows = await page.$$eval('#executions-table tbody tr', (els) => els.map((e) => e.dataset.id));
  assert.deepEqual(rows, [done], 'the scenario filter keeps only its executions');
  await page.selectOption('#history-status', 'stopped');
  await page.waitForURL(/status=stopped/);
  await page.waitForSelector('#no-executions');
  await page.goto(`${BASE}/executions?status=stopped`);
  await hydrated(page);
  assert.ok(await page.$(`#executions-table tr[data-id="${slow}"]`));
  assert.match(await page.textContent('#history-page'), /Page 1 of 1/);
  await screenshot(page, 'history-filtered');
  await page.goto(`${BASE}/executions`);
  await hydrated(page);
  await page.click(`#executions-table tr[data-id="${done}"] a`);
  await page.waitForSelector('#verdict');
  assert.ok(await page.$$eval('#event-log li', (els) => els.length) > 5, 'the finished execution shows its history');
  await screenshot(page, 'history-opened');
  assert.deepEqual(problems, []);
});

test('the services page shows health and chaos, and clears chaos after a confirmation', async () => {
  const { page, problems } = browser;
  // Leave some chaos behind: a stopped run keeps none, so inject directly through the sandbox's chaos API.
  const exchange = process.env.EXCHANGE_SIMULATOR_URL;
  const injected = await fetch(`${exchange}/chaos/inject_latency`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delay_ms: 300 }),
  }).catch(() => null);
  await page.goto(`${BASE}/services`);
  await hydrated(page);
  await page.waitForSelector('#services-table');
  const health = await page.$$eval('#services-table tbody tr td:nth-child(2)', (els) => els.map((e) => e.textContent));
  assert.ok(health.length >= 6 && health.every((h) => /healthy/.test(h)), `health shown: ${health}`);
  if (injected?.ok) {
    assert.match(await page.textContent('#services-table tr[data-service="exchange-simulator"] .chaos-cell'), /latency/);
  }
  await screenshot(page, 'services');
  await page.click('#clear-exchange-simulator');
  await page.waitForSelector('#clear-exchange-simulator-confirm');
  await screenshot(page, 'services-confirm');
  await page.click('#clear-exchange-simulator-confirm');
  await page.waitForSelector('#clear-feedback :text("Chaos cleared on exchange-simulator")');
  await page.waitForFunction(() => /none/.test(document.querySelector('#services-table tr[data-service="exchange-simulator"] .chaos-cell')?.textContent ?? ''));
  await page.click('#clear-all');
  await page.click('#clear-all-confirm');
  await page.waitForSelector('#clear-feedback :text("Chaos cleared on")');
  await screenshot(page, 'services-cleared');
  assert.deepEqual(problems, []);
});
