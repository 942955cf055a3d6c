// The workload in the live view and the report: run the N1V1 network partition
// (50 orders/s of real traffic) and watch latency and failure rate charted live
// with the phases and the chaos window, then the recovery time marked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, SCREENSHOTS, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

test('run network-partition and watch its workload charted live, then its recovery', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/network-partition`);
  await hydrated(page);
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog');
  await page.fill('#run-speed', '30');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  // Slots arrive over the WebSocket and are drawn as they come.
  await page.waitForSelector('#workload svg.workload-chart path.wl-p95[d^="M"]', { timeout: 30_000 });
  assert.match(await page.textContent('#workload-figures'), /last slot: \d+ request\(s\), p95/);
  await page.waitForSelector('#workload svg .wl-chaos', { timeout: 30_000 });
  await page.locator('#workload').screenshot({ path: `${SCREENSHOTS}/execution-workload-live.png` });
  await page.waitForSelector('#verdict', { timeout: 60_000 });
  await page.waitForSelector('#workload svg .wl-recovery', { timeout: 10_000 });
  assert.match(await page.textContent('#workload-figures'), /recovered .* after the chaos was cleared/);
  assert.equal(await page.$$eval('#workload svg .wl-phase', (els) => els.length), 3);
  await page.locator('#workload').screenshot({ path: `${SCREENSHOTS}/execution-workload-recovered.png` });
  await screenshot(page, 'execution-workload-finished');
  // The report draws the same chart and gives the N1V1 figures.
  const id = page.url().split('/').pop();
  const report = await (await fetch(`${BASE}/api/v1/scenarios/${id}/report?format=json`)).json();
  assert.ok(report.workload.n1v1.chaos_failure_rate >= 90, JSON.stringify(report.workload.n1v1));
  assert.equal(report.workload.n1v1.recovery_detected, true);
  const html = await (await fetch(`${BASE}/api/v1/scenarios/${id}/report?format=html`)).text();
  assert.match(html, /<svg class="workload-chart"/);
  assert.match(html, /Workload and recovery/);
  assert.deepEqual(problems, []);
});
