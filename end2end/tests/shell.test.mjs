// The app shell: server-rendered, then hydrated; navigation between the four
// sections happens in the browser without reloads; no console errors anywhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot, withoutMarkers } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

test('pages are rendered on the server, readable without JavaScript', async () => {
  for (const [path, heading] of [['/', 'Dashboard'], ['/scenarios', 'Scenarios'], ['/executions', 'Executions'], ['/services', 'Services']]) {
    const response = await fetch(`${BASE}${path}`);
    assert.equal(response.status, 200, path);
    const html = withoutMarkers(await response.text());
    assert.match(html, new RegExp(`<h1[^>]*>${heading}</h1>`), `${path} has its heading in the HTML`);
    assert.match(html, /<nav[^>]*aria-label="Main"/, `${path} has the navigation in the HTML`);
    assert.match(html, /test-coordinator\.js/, `${path} loads the WASM loader`);
  }
  const services = await (await fetch(`${BASE}/services`)).text();
  assert.match(services, /exchange-simulator/, 'the services table is rendered on the server');
});

test('an unknown page answers 404 with a way back', async () => {
  const response = await fetch(`${BASE}/no/such/page`);
  assert.equal(response.status, 404);
  assert.match(await response.text(), /Page not found/);
});

test('the page hydrates and navigation stays in the browser', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/`);
  await hydrated(page);
  assert.equal(await page.textContent('h1'), 'Dashboard');
  await screenshot(page, 'dashboard');
  // A marker on window survives client-side navigation but not a reload.
  await page.evaluate(() => { window.__noReload = true; });
  for (const [link, heading, path] of [
    ['Scenarios', 'Scenarios', '/scenarios'],
    ['Executions', 'Executions', '/executions'],
    ['Services', 'Services', '/services'],
    ['Dashboard', 'Dashboard', '/'],
  ]) {
    await page.click(`nav >> text=${link}`);
    await page.waitForFunction((h) => document.querySelector('h1')?.textContent === h, heading);
    assert.equal(new URL(page.url()).pathname, path);
    assert.equal(await page.getAttribute(`nav a[href="${path}"]`, 'aria-current'), 'page');
    assert.equal(await page.evaluate(() => window.__noReload), true, `navigating to ${path} did not reload`);
    await screenshot(page, path === '/' ? 'dashboard-again' : path.slice(1));
  }
  assert.deepEqual(problems, []);
});

test('the menu toggle works on a narrow window once hydrated', async () => {
  const narrow = await openBrowser({ width: 390, height: 800 });
  try {
    const { page, problems } = narrow;
    await page.goto(`${BASE}/executions`);
    await hydrated(page);
    assert.equal(await page.isVisible('#main-nav'), false, 'the menu starts folded');
    await page.evaluate(() => { window.__noReload = true; });
    await page.click('#menu-toggle');
    assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
    assert.equal(await page.isVisible('#main-nav'), true);
    await screenshot(page, 'narrow-menu-open');
    await page.click('#main-nav >> text=Services');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Services');
    assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'false', 'following a link folds the menu');
    assert.equal(await page.evaluate(() => window.__noReload), true);
    assert.deepEqual(problems, []);
  } finally {
    await narrow.context.close();
  }
});
