// The first stop and the live view: open a scenario and see its plan as a
// timeline; run one from the UI and watch it live; pause, resume, stop; reload a
// finished execution and see its whole history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, SCREENSHOTS, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

test('the scenario page is server-rendered with its timeline', async () => {
  const response = await fetch(`${BASE}/scenarios/stablecoin-depeg-scenario`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /<svg[^>]*class="timeline-svg"/, 'the timeline is in the HTML');
  assert.match(html, /gradual_depeg/);
  assert.match(html, /apiVersion: chaos.trading\/v1/, 'the raw YAML is in the HTML');
  const missing = await fetch(`${BASE}/scenarios/no-such-scenario`);
  assert.equal(missing.status, 404, 'an unknown scenario answers 404');
  assert.match(await missing.text(), /no scenario or template named/);
});

test('open stablecoin-depeg-scenario from the library and see its 36-hour plan', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios`);
  await hydrated(page);
  await page.click('a[href="/scenarios/stablecoin-depeg-scenario"]');
  await page.waitForSelector('h1#scenario-name');
  assert.equal(await page.textContent('h1#scenario-name'), 'stablecoin-depeg-scenario');
  assert.equal((await page.textContent('#scenario-length')).trim(), '36h');
  const phases = await page.$$eval('.timeline-svg .tl-phase', (els) => els.map((e) => e.textContent));
  assert.equal(phases.length, 4, 'four phase bands');
  assert.ok(phases.join(' ').includes('gradual_depeg'), 'band names are drawn');
  assert.ok(phases.join(' ').includes('24h'), 'band durations are drawn');
  assert.ok(await page.$$eval('.timeline-svg .tl-action', (els) => els.length) > 0, 'action markers');
  assert.ok(await page.$$eval('.timeline-svg .tl-assert', (els) => els.length) > 0, 'assertion windows');
  assert.match(await page.textContent('figure.timeline figcaption'), /4 phases over 36h/);
  await page.click('#raw-yaml summary');
  assert.match(await page.textContent('#raw-yaml'), /stablecoin-depeg-scenario/);
  await screenshot(page, 'scenario-stablecoin-depeg');
  await page.locator('figure.timeline').screenshot({ path: `${SCREENSHOTS}/scenario-stablecoin-depeg-timeline.png` });
  assert.deepEqual(problems, []);
});

test('run basic-market-disruption at speed 600 and watch it live to its verdict', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/basic-market-disruption`);
  await hydrated(page);
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog');
  await screenshot(page, 'run-dialog');
  await page.fill('#run-speed', '600');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  await page.waitForSelector('#progress');
  // Phases advance: a band is highlighted as current or already passed.
  await page.waitForSelector('.tl-phase-current, .tl-phase-passed, .tl-phase-failed', { timeout: 15_000 });
  await screenshot(page, 'execution-live');
  await page.locator('figure.timeline').screenshot({ path: `${SCREENSHOTS}/execution-live-timeline.png` });
  await page.waitForSelector('#verdict', { timeout: 60_000 });
  const phaseStates = await page.$$eval('.timeline-svg .tl-phase', (els) => els.map((e) => e.getAttribute('class')));
  assert.ok(phaseStates.every((c) => /tl-phase-(passed|failed|skipped|aborted)/.test(c)), `every phase ended: ${phaseStates}`);
  const assertionStates = await page.$$eval('#assertions-table tbody td.result', (els) => els.map((e) => e.textContent));
  assert.ok(assertionStates.length > 0);
  assert.ok(assertionStates.some((t) => /passed/.test(t)), `some assertion passed: ${assertionStates}`);
  assert.ok(assertionStates.every((t) => /passed|failed/.test(t)), `every assertion decided: ${assertionStates}`);
  assert.ok(await page.$$eval('#actions-table tbody tr', (r) => r.length) > 0, 'actions listed with results');
  assert.match(await page.textContent('#actions-table'), /ms/, 'latency shown');
  assert.match(await page.textContent('#link-state'), /ended/);
  await screenshot(page, 'execution-finished');
  // The verdict links the report: the same self-contained HTML, in the page.
  const downloadHref = await page.getAttribute('#report-links a[href*="format=html"]', 'href');
  const report = await fetch(new URL(downloadHref, BASE));
  assert.equal(report.status, 200);
  assert.match(report.headers.get('content-type'), /text\/html/);
  const reportHtml = await report.text();
  assert.match(reportHtml, /basic-market-disruption/);
  assert.doesNotMatch(reportHtml, /<(script|link)[^>]+(src|href)="https?:/);
  const executionUrl = page.url();
  await page.click('#open-report');
  await page.waitForURL(/\/report$/);
  const frame = await (await page.waitForSelector('#report-frame')).contentFrame();
  await frame.waitForSelector('h1');
  assert.match(await frame.textContent('body'), /basic-market-disruption/);
  for (const format of ['html', 'json', 'csv', 'junit']) {
    assert.ok(await page.$(`#report-downloads a[href*="format=${format}"]`), `a ${format} download`);
  }
  await screenshot(page, 'report-in-page');
  await page.goto(executionUrl);
  await hydrated(page);
  await page.waitForSelector('#verdict');
  const logLength = await page.$$eval('#event-log li', (els) => els.length);
  const verdict = await page.textContent('#verdict h2');

  // Reload: the whole history is there from the server alone.
  await page.reload();
  await hydrated(page);
  assert.equal(await page.$$eval('#event-log li', (els) => els.length), logLength, 'same events after a reload');
  assert.equal(await page.textContent('#verdict h2'), verdict);
  assert.deepEqual(problems, []);
});

test('pause and resume a running execution, then stop it', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/basic-market-disruption`);
  await hydrated(page);
  await page.click('#run-button');
  await page.fill('#run-speed', '30');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  await page.waitForSelector('#control-pause:not([disabled])', { timeout: 15_000 });
  await page.click('#control-pause');
  await page.waitForFunction(() => document.querySelector('#execution-status')?.textContent.includes('paused'), null, { timeout: 15_000 });
  assert.match(await page.textContent('#control-feedback'), /pause done: the execution is paused/);
  const pausedAt = await page.textContent('#progress');
  await page.waitForTimeout(1500);
  assert.equal(await page.textContent('#progress'), pausedAt, 'the cursor stands still while paused');
  assert.ok(await page.$('.tl-cursor-paused'), 'the cursor is drawn as paused');
  await screenshot(page, 'execution-paused');
  await page.click('#control-resume');
  await page.waitForFunction(() => document.querySelector('#execution-status')?.textContent.includes('running'), null, { timeout: 15_000 });
  await page.waitForFunction((before) => document.querySelector('#progress')?.textContent !== before, pausedAt, { timeout: 15_000 });
  await page.click('#control-stop');
  await page.click('#control-stop-confirm');
  await page.waitForSelector('#verdict', { timeout: 30_000 });
  assert.match(await page.textContent('#execution-status'), /stopped by local:\S+/);
  assert.ok(await page.$('#event-log li[data-kind="rollback_started"]'), 'the rollback is in the log');
  await screenshot(page, 'execution-stopped');
  assert.deepEqual(problems, []);
});
