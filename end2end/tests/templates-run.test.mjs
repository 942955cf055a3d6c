// Templates from the form (issue 15, point 2): Run… runs the scenario the form's
// values render to, Save as scenario… saves it under a name and opens it, an enum
// without a default starts at "choose…" and blocks both until chosen, and a
// template and a scenario with overlapping names each open their own page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

/** Opens the exchange-disruption template and fills its required text field. */
async function openTemplate(page) {
  await page.goto(`${BASE}/scenarios/exchange-disruption`);
  await hydrated(page);
  await page.waitForSelector('#template-form');
  await page.fill('#param-target_exchange', 'exchange-simulator');
}

test('an enum without a default starts at "choose…", and Run… says a value is needed until one is chosen', async () => {
  const { page, problems } = browser;
  await openTemplate(page);
  assert.equal(await page.inputValue('#param-disruption_type'), '', 'nothing is chosen');
  assert.equal((await page.textContent('#param-disruption_type option:checked')).trim(), 'choose…');
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog [role=alert]');
  assert.match(await page.textContent('#run-dialog [role=alert]'), /Choose a value for disruption_type/);
  await page.click('#run-start');
  assert.ok(page.url().endsWith('/scenarios/exchange-disruption'), 'nothing started');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#run-dialog', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-button', 'the focus is back on Run…');
  assert.deepEqual(problems, []);
});

test('Run… on a template runs the scenario its form renders, with the values chosen', async () => {
  const { page, problems } = browser;
  await openTemplate(page);
  await page.selectOption('#param-disruption_type', 'latency');
  await page.fill('#param-duration', '20m');
  await page.waitForSelector('#template-status:has-text("renders and validates")');
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog');
  assert.equal(await page.$('#run-dialog [role=alert]'), null, 'no complaint once chosen');
  await page.fill('#run-speed', '3600');
  await page.check('#run-dry-run');
  await screenshot(page, 'template-run-dialog');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  const id = page.url().split('/').pop();
  const detail = await (await fetch(`${BASE}/api/v1/scenarios/${id}/status`)).json();
  assert.equal(detail.options.speed, 3600);
  assert.equal(detail.options.dry_run, true);
  const chaos = detail.plan.phases.find((p) => p.name === 'chaos');
  assert.equal(chaos.duration_ms, 20 * 60_000, 'the duration typed in the form');
  assert.equal(chaos.actions[0].service, 'exchange-simulator');
  assert.match(chaos.actions[0].action, /latency/, 'the enum value chosen');
  assert.deepEqual(problems, []);
});

test('Save as scenario… saves the rendered YAML under the name given and opens it', async () => {
  const { page, problems } = browser;
  await openTemplate(page);
  await page.click('#save-as-button');
  await page.waitForSelector('#save-as-form');
  assert.match(await page.textContent('#save-as-error'), /Choose a value for disruption_type/);
  assert.equal(await page.isDisabled('#save-as-start'), true, 'nothing to save yet');
  await page.selectOption('#param-disruption_type', 'downtime');
  await page.fill('#param-intensity', '0.8');
  await page.waitForSelector('#save-as-error', { state: 'detached' });
  await page.fill('#save-as-name', 'my-exchange-downtime');
  await screenshot(page, 'template-save-as');
  await page.click('#save-as-start');
  await page.waitForURL(/\/scenarios\/my-exchange-downtime$/, { timeout: 10_000 });
  await page.waitForSelector('h1#scenario-name');
  assert.equal(await page.textContent('h1#scenario-name'), 'my-exchange-downtime');
  assert.ok(await page.$('#phase-list'), 'a scenario with a plan, not a template');
  const saved = await (await fetch(`${BASE}/api/v1/scenarios/my-exchange-downtime/definition`)).json();
  assert.equal(saved.kind, 'scenario');
  assert.equal(saved.version, 1);
  assert.match(saved.definition, /name: "my-exchange-downtime"/);
  assert.match(saved.definition, /action: "downtime"/);
  assert.match(saved.definition, /intensity: "?0\.8"?/);
  assert.doesNotMatch(saved.definition, /\{\{/, 'rendered, not the template source');
  assert.deepEqual(problems, []);
});

test('a template and a scenario with overlapping names each open their own page', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/stablecoin-depeg`);
  await hydrated(page);
  assert.equal(await page.textContent('h1#scenario-name'), 'stablecoin-depeg');
  await page.waitForSelector('#template-form');
  assert.equal((await page.textContent('#duplicate-button')).trim(), 'Duplicate template…');
  await page.goto(`${BASE}/scenarios/stablecoin-depeg-scenario`);
  await hydrated(page);
  assert.equal(await page.textContent('h1#scenario-name'), 'stablecoin-depeg-scenario');
  assert.equal(await page.$('#template-form'), null);
  assert.ok(await page.$('#phase-list'));
  assert.deepEqual(problems, []);
});
