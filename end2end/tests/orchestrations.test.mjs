// Orchestrations (issue 19, seed 001): the editor checks a document as it is
// typed (a misspelt key is an error at its line and column, and Save is off),
// a fixed two-step document is saved and its page shows the steps, export
// links and the Run form; a fast run goes to its end with both steps shown and
// linked to their executions, and is listed with the orchestration, on the
// Orchestrations page and in the library. A slow run is paused, resumed, has
// its step skipped and is stopped from its page. Both colour schemes are
// checked for contrast.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, lowestContrast, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

const ID = 'e2e-drill';
const RUN_URL = /\/orchestrations\/runs\/[0-9a-f-]{36}$/;

// Line 9 misspells `delay_before_seconds`.
const BROKEN = `name: ${ID}
description: Two library scenarios, one after the other
steps:
  - name: spike
    scenario: volatility-spike
    continue_on_failure: true
  - name: disruption
    scenario: basic-market-disruption
    delay_before_second: 5
`;
const FIXED = BROKEN.replace('delay_before_second:', 'delay_before_seconds:');

/** Waits until the run page shows one of `statuses`; returns it. */
async function runStatus(page, statuses, timeout = 60_000) {
  const selector = statuses.map((s) => `#run-status[data-status="${s}"]`).join(', ');
  await page.waitForSelector(selector, { timeout });
  return page.getAttribute('#run-status', 'data-status');
}

test('an orchestration is written with live diagnostics, saved, run to its end and listed', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/orchestrations`);
  await hydrated(page);
  assert.equal(await page.textContent('h1'), 'Orchestrations');
  assert.equal(await page.getAttribute('nav a[href="/orchestrations"]', 'aria-current'), 'page');
  await page.waitForSelector('#no-orchestrations');

  // New: the starter document, which validates.
  await page.click('#new-orchestration');
  await page.waitForURL(`${BASE}/orchestrations/new`);
  await page.waitForSelector('#orchestration-editor');
  assert.match(await page.inputValue('#orchestration-editor'), /^# An orchestration/);
  await page.waitForFunction(() => /^✓ Valid/.test(document.querySelector('#orchestration-status')?.textContent ?? ''));
  assert.equal(await page.isDisabled('#save-orchestration'), false);

  // A misspelt key: an error at its line and column, marked in the gutter; Save is off.
  await page.fill('#orchestration-editor', BROKEN);
  await page.waitForSelector('#orchestration-diagnostics li.diagnostic-error[data-line="9"]');
  const diagnostic = await page.textContent('#orchestration-diagnostics li.diagnostic-error[data-line="9"]');
  assert.match(diagnostic, /line 9, column 5/);
  assert.match(diagnostic, /unknown key `delay_before_second` in a step/);
  assert.match(await page.textContent('#orchestration-status'), /^✗ 1 error$/);
  assert.equal(await page.isDisabled('#save-orchestration'), true);
  await page.waitForSelector('.editor-gutter .gutter-error[data-line="9"]');
  await page.waitForSelector('#no-orchestration-preview');
  await screenshot(page, 'orchestration-editor-error');

  // Fixed: no problems, the steps preview, and Save.
  await page.fill('#orchestration-editor', FIXED);
  await page.waitForSelector('#no-orchestration-diagnostics');
  assert.equal(await page.isDisabled('#save-orchestration'), false);
  assert.deepEqual(await page.$$eval('#steps-table tr.step-row', (rows) => rows.map((r) => r.dataset.step)), ['spike', 'disruption']);
  await page.click('#save-orchestration');
  await page.waitForURL(`${BASE}/orchestrations/${ID}`);

  // Its page: steps, version, export links, the Run form.
  await page.waitForSelector('#orchestration-title');
  assert.equal(await page.textContent('#orchestration-title'), ID);
  assert.equal(await page.textContent('#orchestration-version'), 'version 1');
  const steps = await page.$$eval('#steps-table tr.step-row', (rows) => rows.map((r) => r.textContent));
  assert.equal(steps.length, 2);
  assert.match(steps[0], /spike.*library scenario volatility-spike.*goes on/);
  assert.match(steps[1], /disruption.*library scenario basic-market-disruption.*5s.*stops the run/);
  assert.equal(await page.getAttribute('#export-yaml', 'href'), `/api/v1/orchestrations/${ID}/export?format=yaml`);
  assert.equal(await page.getAttribute('#export-json', 'download'), `${ID}.orchestration.json`);
  const exported = await (await fetch(`${BASE}${await page.getAttribute('#export-json', 'href')}`)).json();
  assert.equal(exported.steps[1].delay_before_seconds, 5);
  await page.waitForSelector('#no-runs');
  await screenshot(page, 'orchestration-detail');

  // Run it fast: the run page follows it to its end, both steps shown.
  assert.equal(await page.inputValue('#run-speed'), '1');
  await page.fill('#run-speed', '3600');
  await page.click('#run-orchestration');
  await page.waitForURL(RUN_URL);
  const runId = page.url().split('/').pop();
  const ended = await runStatus(page, ['completed', 'failed']);
  const members = await page.$$eval('.run-member', (rows) => rows.map((r) => ({
    step: r.dataset.step,
    status: r.dataset.status,
    href: r.querySelector('a.run-member-execution')?.getAttribute('href'),
  })));
  assert.deepEqual(members.map((m) => m.step), ['spike', 'disruption'], JSON.stringify(members));
  for (const m of members) {
    assert.match(m.href ?? '', /^\/executions\/[0-9a-f-]{36}$/, JSON.stringify(m));
    assert.ok(['completed', 'failed'].includes(m.status), JSON.stringify(m));
  }
  assert.equal(await page.textContent('#run-pending'), '0');
  assert.equal(await page.$('#run-controls'), null, 'no controls once it has ended');
  const detail = await (await fetch(`${BASE}/api/v1/suites/${runId}`)).json();
  assert.equal(detail.status, ended, JSON.stringify(detail));
  assert.equal(detail.orchestration.id, ID);
  await screenshot(page, 'orchestration-run');
  // Readable in both schemes.
  for (const scheme of ['dark', 'light']) {
    await page.emulateMedia({ colorScheme: scheme });
    const worst = await page.evaluate(lowestContrast);
    assert.ok(worst.ratio >= 4.5, `run page (${scheme}): ${JSON.stringify(worst)}`);
  }

  // The orchestration lists the run; so do the Orchestrations page and the library.
  await page.click('#run-orchestration-link');
  await page.waitForURL(`${BASE}/orchestrations/${ID}?version=1`);
  await page.waitForSelector(`#runs-table tr[data-run="${runId}"] .badge-${ended}`);
  await page.goto(`${BASE}/orchestrations`);
  await hydrated(page);
  const row = `#orchestrations-table tr[data-orchestration="${ID}"]`;
  assert.match(await page.textContent(row), /2 steps.*spike → disruption.*sequential.*v1/);
  assert.equal(await page.getAttribute(`${row} a.run-link`, 'href'), `/orchestrations/runs/${runId}`);
  await page.goto(`${BASE}/scenarios`);
  await hydrated(page);
  await page.waitForSelector(`#library-orchestrations li[data-orchestration="${ID}"] a[href="/orchestrations/${ID}"]`);
  assert.deepEqual(problems, []);
});

test('a slow run is paused, resumed, has its step skipped and is stopped from its page', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/orchestrations/${ID}`);
  await hydrated(page);
  await page.click('#run-orchestration');
  await page.waitForURL(RUN_URL);
  await runStatus(page, ['running']);
  await page.waitForSelector('.run-member[data-position="0"][data-status="running"]', { timeout: 30_000 });

  await page.click('#pause-run');
  await runStatus(page, ['paused']);
  assert.equal(await page.isDisabled('#pause-run'), true);
  await page.click('#resume-run');
  await runStatus(page, ['running']);

  // Skip the current step: it is stopped with rollback and counts as skipped.
  assert.deepEqual(await page.$$eval('#skip-step-name option', (os) => os.map((o) => o.value)), ['', 'spike', 'disruption']);
  await page.click('#skip-step');
  await page.waitForSelector('.run-member[data-position="0"][data-outcome="skipped"]', { timeout: 30_000 });

  // Stop: nothing more starts.
  await page.click('#stop-run');
  await runStatus(page, ['stopped'], 30_000);
  await page.waitForSelector('#run-controls', { state: 'detached' });
  assert.equal(await page.getAttribute('.run-member[data-position="1"]', 'data-status'), 'not_run');
  assert.equal(await page.textContent('#run-skipped'), '1');
  await screenshot(page, 'orchestration-run-stopped');

  // The audit log has the UI's changes under the REST twins' names.
  for (const action of ['import-orchestration', 'start-orchestration', 'pause-suite', 'resume-suite', 'skip-suite-step', 'stop-suite']) {
    const audit = await (await fetch(`${BASE}/api/v1/audit?action=${action}`)).json();
    assert.ok(audit.entries.some((e) => e.status === 200), `${action}: ${JSON.stringify(audit)}`);
  }
  assert.deepEqual(problems, []);
});
