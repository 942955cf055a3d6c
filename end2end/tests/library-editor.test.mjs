// The library (search, category filter, server-rendered with query parameters)
// and the editor (live validation in the browser, no server round trip; save a
// new version).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

test('the library filters on the server with query parameters (no JavaScript needed)', async () => {
  const all = await (await fetch(`${BASE}/scenarios`)).text();
  assert.match(all, /stablecoin-depeg-scenario/);
  assert.match(all, /template/, 'templates are listed too');
  const found = await (await fetch(`${BASE}/scenarios?q=depeg`)).text();
  assert.match(found, /stablecoin-depeg-scenario/);
  assert.doesNotMatch(found, /data-name="basic-market-disruption"/);
});

test('find a scenario by search and by category, in the browser', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios`);
  await hydrated(page);
  const total = await page.$$eval('#library .card', (els) => els.length);
  assert.ok(total >= 10, `the library has its cards (${total})`);
  const card = await page.textContent('#library .card[data-name="stablecoin-depeg-scenario"]');
  assert.match(card, /36h/, 'the card shows the duration');
  assert.match(card, /4 phases/, 'the card shows the phase count');
  assert.match(card, /touches: .*simulator/, 'the card shows the services touched');
  await page.fill('#library-search', 'depeg');
  await page.waitForFunction(() => !document.querySelector('#library .card[data-name="basic-market-disruption"]'));
  assert.match(page.url(), /\?q=depeg/, 'the address follows the search');
  const names = await page.$$eval('#library .card', (els) => els.map((e) => e.dataset.name));
  assert.ok(names.includes('stablecoin-depeg-scenario'), `found: ${names}`);
  await screenshot(page, 'library-search');
  await page.fill('#library-search', '');
  await page.waitForFunction((n) => document.querySelectorAll('#library .card').length === n, total);
  const category = await page.$eval('#library-category option:nth-child(2)', (o) => o.value);
  await page.selectOption('#library-category', category);
  await page.waitForURL(new RegExp(`category=${category}`));
  const cats = await page.$$eval('#library .card', (els) => els.length);
  assert.ok(cats > 0 && cats < total, `category ${category} narrows the list (${cats} of ${total})`);
  await screenshot(page, 'library-category');
  assert.deepEqual(problems, []);
});

test('edit a scenario into an invalid state, see the diagnostic at its line without a server round trip, fix it and save', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/volatility-spike/edit`);
  await hydrated(page);
  const original = await page.inputValue('#editor-text');
  assert.match(original, /name: "volatility-spike"/);
  await page.waitForSelector('#validation-status:has-text("Valid")');
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));

  const lines = original.split('\n');
  const target = lines.findIndex((l) => l.includes('service: "exchange-simulator"'));
  assert.ok(target >= 0);
  lines[target] = lines[target].replace('exchange-simulator', 'exchange-simulatr');
  await page.fill('#editor-text', lines.join('\n'));
  const line = target + 1;
  await page.waitForSelector(`#diagnostics li.diagnostic-error[data-line="${line}"]`, { timeout: 5_000 });
  assert.match(await page.textContent(`#diagnostics li[data-line="${line}"]`), /unknown_service/);
  assert.match(await page.textContent(`#diagnostics li[data-line="${line}"]`), /exchange-simulator/, 'it suggests the right name');
  assert.ok(await page.$(`.editor-gutter .gutter-error[data-line="${line}"]`), 'the line is marked in the gutter');
  assert.match(await page.textContent('#validation-status'), /1 error/);
  assert.equal(await page.isDisabled('#save-button'), true, 'an invalid scenario cannot be saved');
  assert.ok(await page.$('#no-preview'), 'the preview waits for a valid scenario');
  await screenshot(page, 'editor-invalid');
  assert.deepEqual(requests.filter((u) => u.includes('/api/')), [], 'validation made no request to the server');

  const fixed = original.replace(/description: "([^"]*)"/, 'description: "$1 (edited in the browser)"');
  await page.fill('#editor-text', fixed);
  await page.waitForSelector('#validation-status:has-text("Valid")');
  await page.waitForSelector('.editor-preview .timeline-svg');
  assert.deepEqual(requests.filter((u) => u.includes('/scenarios/validate')), []);
  await page.click('#save-button');
  await page.waitForSelector('#save-result :text("Saved version 1")', { timeout: 10_000 });
  await screenshot(page, 'editor-saved');
  const versions = await (await fetch(`${BASE}/api/v1/scenarios/volatility-spike/versions`)).json();
  assert.equal(versions.versions.length, 1);
  await page.click('#save-result a');
  await page.waitForSelector('h1#scenario-name');
  assert.match(await page.textContent('main'), /edited in the browser/);
  assert.deepEqual(problems, []);
});
