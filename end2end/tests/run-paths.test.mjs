// Running from where the user is (issue 15, point 3) and export/archive (point 8):
// Run again on an execution page, Run… in the editor once saved (and a save that
// makes the page that scenario's editor), the dashboard's scenario picker, and
// a scenario's YAML download and archive with confirmation.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

async function status(id) {
  return (await fetch(`${BASE}/api/v1/scenarios/${id}/status`)).json();
}

test('Run again starts the same scenario with the same options and opens the new execution', async () => {
  const { page, problems } = browser;
  const options = { speed: 3600, dry_run: true, continue_on_failure: true, repeat: 2, on_owner_loss: 'resume' };
  const first = await (await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: 'market-crash', options }),
  })).json();
  await page.goto(`${BASE}/executions/${first.execution_id}`);
  await hydrated(page);
  await page.click('#run-again');
  await page.waitForURL((url) => /\/executions\/[0-9a-f-]+$/.test(url.pathname) && !url.pathname.endsWith(first.execution_id), { timeout: 15_000 });
  const second = page.url().split('/').pop();
  await page.waitForSelector('#progress');
  assert.match(await page.textContent('h1'), /market-crash/);
  const detail = await status(second);
  assert.equal(detail.scenario_name, 'market-crash');
  assert.deepEqual(detail.options, options, 'same speed, dry run, continue on failure, repeat and owner-loss choice');
  assert.match(detail.started_by, /^local:\S+$/);
  assert.equal(detail.channel, 'ui');
  await screenshot(page, 'execution-run-again');
  assert.deepEqual(problems, []);
});

test('the editor: Run… once saved, and the first save makes the page that scenario\'s editor', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/new`);
  await hydrated(page);
  assert.equal(await page.$('#run-button'), null, 'nothing saved yet, nothing to run');
  await page.waitForSelector('#run-needs-save');
  const text = (await page.inputValue('#editor-text')).replace('name: "my-scenario"', 'name: "paths-editor-run"');
  await page.fill('#editor-text', text);
  await page.waitForSelector('#validation-status:has-text("Valid")');
  await page.click('#save-button');
  await page.waitForURL(/\/scenarios\/paths-editor-run\/edit$/, { timeout: 10_000 });
  await page.waitForSelector('h1:has-text("Edit paths-editor-run")');
  await page.waitForSelector('#versions-table tr[data-version="1"]');
  assert.equal(await page.inputValue('#editor-text'), text);
  await page.waitForSelector('#run-button');

  // An unsaved change hides Run…; undoing it brings it back.
  await page.fill('#editor-text', text.replace('What this scenario shows', 'Changed'));
  await page.waitForSelector('#run-needs-save');
  await page.fill('#editor-text', text);
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog');
  await page.fill('#run-speed', '3600');
  await page.check('#run-dry-run');
  await page.check('#run-resume');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  const detail = await status(page.url().split('/').pop());
  assert.equal(detail.scenario_name, 'paths-editor-run');
  assert.equal(detail.options.dry_run, true);
  assert.equal(detail.options.on_owner_loss, 'resume', 'the check box asked for it');
  await page.waitForSelector('text=resumes on owner loss');
  assert.deepEqual(problems, []);
});

test('the dashboard\'s Run a scenario opens a picker: search, keyboard, Escape, run', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await page.click('#run-a-scenario');
  await page.waitForSelector('#picker-dialog');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'picker-search', 'the search box has the focus');
  await page.waitForSelector('#picker-list .picker-option');
  const everything = await page.$$eval('#picker-list .picker-option', (els) => els.length);
  await page.keyboard.type('volatil');
  await page.waitForFunction((all) => document.querySelectorAll('#picker-list .picker-option').length < all, everything);
  const found = await page.$$eval('#picker-list .picker-option', (els) => els.map((e) => e.dataset.name));
  assert.ok(found.includes('volatility-spike'), found.join());
  assert.ok(found.every((name) => name.includes('volatil')), found.join());
  await page.keyboard.type('zzz');
  await page.waitForSelector('#picker-empty');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#picker-dialog', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-a-scenario', 'the focus is back on the button');

  // Keyboard only: open, search, Tab to the choice, Space picks it, set the speed, Enter runs.
  await page.focus('#run-a-scenario');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#picker-dialog');
  assert.equal(await page.inputValue('#picker-search'), '', 'a new search each time');
  await page.waitForSelector('#picker-list .picker-option');
  await page.keyboard.type('crash');
  await page.waitForFunction(() => {
    const options = [...document.querySelectorAll('#picker-list .picker-option')];
    return options.length > 0 && options.every((e) => /crash/i.test(e.textContent));
  });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  const picked = await page.$eval('#picker-list input:checked', (e) => e.value);
  assert.match(picked, /crash/);
  await page.fill('#picker-speed', '3600');
  await screenshot(page, 'dashboard-picker');
  await page.press('#picker-speed', 'Enter');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  const detail = await status(page.url().split('/').pop());
  assert.equal(detail.scenario_name, picked);
  assert.equal(detail.options.speed, 3600);
  assert.match(detail.started_by, /^local:\S+$/);
  assert.equal(detail.channel, 'ui');
  await fetch(`${BASE}/api/v1/scenarios/${detail.id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.deepEqual(problems, []);
});

test('download a library scenario\'s YAML; an uploaded one downloads by version and is archived after confirming', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/market-crash`);
  await hydrated(page);
  assert.equal(await page.$('#archive-button'), null, 'a library scenario cannot be archived');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-yaml')]);
  assert.equal(download.suggestedFilename(), 'market-crash.yaml');
  const source = await (await fetch(`${BASE}/api/v1/scenarios/market-crash/definition`)).json();
  assert.equal(await readFile(await download.path(), 'utf8'), source.definition);

  const yaml = 'apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: paths-archive-me\nspec:\n  phases:\n    - name: wait\n      duration: 1m\n';
  const uploaded = await fetch(`${BASE}/api/v1/scenarios/upload`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml }),
  });
  assert.equal(uploaded.status, 201);
  await page.goto(`${BASE}/scenarios/paths-archive-me`);
  await hydrated(page);
  const [mine] = await Promise.all([page.waitForEvent('download'), page.click('#download-yaml')]);
  assert.equal(mine.suggestedFilename(), 'paths-archive-me-v1.yaml');
  assert.equal(await readFile(await mine.path(), 'utf8'), yaml);

  // Escape and Cancel archive nothing.
  await page.click('#archive-button');
  await page.waitForSelector('#archive-dialog');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'archive-cancel', 'Cancel has the focus');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#archive-dialog', { state: 'detached' });
  await page.click('#archive-button');
  await page.click('#archive-cancel');
  assert.equal((await fetch(`${BASE}/api/v1/scenarios/paths-archive-me/definition`)).status, 200);

  await page.click('#archive-button');
  await screenshot(page, 'scenario-archive-confirm');
  await page.click('#archive-confirm');
  await page.waitForURL(/\/scenarios$/, { timeout: 10_000 });
  await hydrated(page);
  assert.equal(await page.$('a[href="/scenarios/paths-archive-me"]'), null, 'gone from the library');
  assert.equal((await fetch(`${BASE}/api/v1/scenarios/paths-archive-me/definition`)).status, 404);
  assert.deepEqual(problems, []);
});
