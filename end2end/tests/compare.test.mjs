// Compare two executions (issue 15, point 4): pick two in the history with
// clicks, see both verdicts, a highlighted difference and both timelines on one
// axis; and the "Compare with the previous run" link of an execution's page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

// A scenario of this test only, so no other test's runs count as "previous".
const NAME = `compare-e2e-${Date.now()}`;
const YAML = `apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "${NAME}"
spec:
  phases:
    - name: baseline
      duration: 1m
      assertions:
        - type: system_health
          expect: all_services_healthy
    - name: chaos
      duration: 2m
      actions:
        - service: exchange-simulator
          action: inject_latency
          parameters: {delay_ms: 200}
    - name: recovery
      duration: 1m
      actions:
        - service: exchange-simulator
          action: clear_chaos
      assertions:
        - type: system_recovery
          expect: normal_operations
          within: 1m
`;

async function api(path, body) {
  const response = await fetch(`${BASE}${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function waitStatus(id, wanted) {
  for (let i = 0; i < 600; i++) {
    const { body } = await api(`/api/v1/scenarios/${id}/status`);
    if (wanted.includes(body.status)) return body.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never reached ${wanted}`);
}

const FINISHED = ['completed', 'failed', 'stopped', 'timed_out', 'interrupted'];
let older; // stopped early: not passed
let newer; // ran to the end: passed

before(async () => {
  assert.equal((await api('/api/v1/scenarios/upload', { yaml: YAML })).status, 201);
  older = (await api('/api/v1/scenarios/execute', { scenario_id: NAME, options: { speed: 1 } })).body.execution_id;
  await waitStatus(older, ['running']);
  assert.equal((await api(`/api/v1/scenarios/${older}/stop`, {})).status, 200);
  await waitStatus(older, FINISHED);
  newer = (await api('/api/v1/scenarios/execute', { scenario_id: NAME, options: { speed: 240 } })).body.execution_id;
  assert.equal(await waitStatus(newer, FINISHED), 'completed');
});

/** The compare page shows `a` and `b`, their verdicts, the better lines, one axis. */
async function checkComparison(page) {
  await page.waitForSelector('#compare-a');
  assert.match(await page.textContent('#compare-a'), new RegExp(older));
  assert.match(await page.textContent('#compare-a'), /NOT PASSED/);
  assert.match(await page.textContent('#compare-b'), new RegExp(newer));
  assert.match(await page.textContent('#compare-b'), /✓ PASSED/);
  assert.match(await page.textContent('#compare-summary'), /B passed where A did not/);
  const better = await page.$$eval('tr.cmp-row-better', (rows) => rows.map((r) => r.textContent));
  assert.ok(better.length >= 2, `highlighted better lines: ${better}`);
  assert.ok(better.every((t) => t.includes('▲ better')), 'a better line says so in words');
  const verdictRow = await page.textContent('#compare-criteria tr.cmp-row-better');
  assert.match(verdictRow, /did not hold.*held|held/);
  // Both timelines: two runs drawn on one axis (same SVG, same ticks).
  const runs = await page.$$eval('#compare-timeline [data-run]', (els) => els.map((e) => e.dataset.run));
  assert.deepEqual(runs, ['a', 'b']);
  const bands = await page.$$eval('#compare-timeline [data-run="b"] .cmp-phase', (els) => els.length);
  assert.equal(bands, 3, 'the newer run ran its three phases');
  assert.ok(await page.$('#compare-timeline .cmp-mark-recovery'), 'the recovery is marked');
  const aWidth = await page.$eval('#compare-timeline [data-run="a"] .cmp-phase rect', (r) => r.getBBox().width);
  const bTotal = await page.$$eval('#compare-timeline [data-run="b"] .cmp-phase rect',
    (rs) => rs.reduce((sum, r) => sum + r.getBBox().width, 0));
  assert.ok(aWidth < bTotal / 3, `the stopped run's phase is short on the shared axis (${aWidth} vs ${bTotal})`);
}

test('two executions picked in the history compare side by side on one time axis', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/executions?scenario=${NAME}`);
  await hydrated(page);
  const button = page.locator('#compare-button');
  assert.equal(await button.isDisabled(), true, 'nothing chosen: disabled');
  await page.click(`tr[data-id="${newer}"] input.compare-pick`);
  assert.equal(await button.isDisabled(), true, 'one chosen: disabled');
  assert.match(await page.textContent('#compare-hint'), /one more/);
  await page.click(`tr[data-id="${older}"] input.compare-pick`);
  assert.equal(await button.isDisabled(), false, 'two chosen: enabled');
  await button.click();
  await page.waitForURL(/\/executions\/compare\?/);
  await hydrated(page);
  await checkComparison(page);
  await screenshot(page, 'compare');
  await page.setViewportSize({ width: 390, height: 800 });
  await screenshot(page, 'compare-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(problems, []);
});

test('an execution page links to the comparison with the previous run, or says why not', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/executions/${older}`);
  await hydrated(page);
  await page.waitForSelector('#compare-previous');
  assert.equal(await page.$('a#compare-previous'), null, 'the first run has no previous one');
  assert.match(await page.textContent('#compare-previous'), /no earlier finished run/);

  await page.goto(`${BASE}/executions/${newer}`);
  await hydrated(page);
  await page.click('a#compare-previous');
  await page.waitForURL(new RegExp(`/executions/compare\\?a=${older}&b=${newer}`));
  await checkComparison(page);
  // Swap A and B: the stopped run is now judged against the passed one.
  await page.click('#compare-swap');
  await page.waitForURL(new RegExp(`a=${newer}&b=${older}`));
  await page.waitForSelector('tr.cmp-row-worse');
  assert.match(await page.textContent('#compare-summary'), /B failed where A passed/);
  assert.match(await page.textContent('tr.cmp-row-worse'), /▼ worse/);
  assert.deepEqual(problems, []);
});
