// The small things (issue 15, point 7): distinct download names, JUnit in wall
// seconds, a report frame without its own scrollbar, filters without empty
// parameters, a half-typed date that says so, a disabled Save that says why,
// search placeholders that fit, capability aliases, and a 390 px dashboard.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
let finished;
before(async () => {
  browser = await openBrowser();
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: 'volatility-spike', options: { speed: 100000 } }),
  });
  finished = (await response.json()).execution_id;
  for (let i = 0; i < 300; i++) {
    const detail = await (await fetch(`${BASE}/api/v1/scenarios/${finished}/status`)).json();
    if (!['queued', 'running', 'paused'].includes(detail.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.context.close(); });

test('downloads have distinct names; JUnit time is wall seconds', async () => {
  const name = async (query) => {
    const r = await fetch(`${BASE}/api/v1/scenarios/${finished}/report?${query}&download=true`);
    return /filename="([^"]+)"/.exec(r.headers.get('content-disposition'))[1];
  };
  const events = await name('format=csv&table=events');
  const assertions = await name('format=csv&table=assertions');
  assert.notEqual(events, assertions);
  assert.match(events, /^volatility-spike-[0-9a-f]{8}-events\.csv$/);
  assert.match(assertions, /-assertions\.csv$/);
  const xml = await (await fetch(`${BASE}/api/v1/scenarios/${finished}/report?format=junit`)).text();
  const time = Number(/<testsuites [^>]*time="([0-9.]+)"/.exec(xml)[1]);
  assert.ok(time < 60, `a run of seconds reads as seconds, not scenario hours: ${time}`);
  assert.match(xml, /<property name="scenario_time" value="[0-9.]+"\/>/);
});

test('the report frame is as tall as the report: one scrollbar', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/executions/${finished}/report`);
  await hydrated(page);
  await page.waitForSelector('#report-frame[height]', { timeout: 15_000 });
  const { frame, content } = await page.$eval('#report-frame', (f) => ({
    frame: f.clientHeight, content: f.contentDocument.documentElement.scrollHeight,
  }));
  assert.ok(frame > 900, `sized to the report (${frame}px)`);
  assert.ok(content <= frame + 2, `the frame does not scroll (${content} in ${frame})`);
  assert.deepEqual(problems, []);
});

test('filters leave out empty fields, and a half-typed date says it is incomplete', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/executions`);
  await hydrated(page);
  await page.fill('#history-scenario', 'volatility');
  await page.click('#history-filter');
  await page.waitForURL(/scenario=volatility/);
  const url = new URL(page.url());
  assert.deepEqual([...url.searchParams.keys()], ['scenario'], page.url());
  assert.doesNotMatch(page.url(), /=&|=$/);
  await page.click('#history-from');
  await page.keyboard.type('12');
  await page.click('#history-filter');
  await page.waitForFunction(() => document.querySelector('#history-date-error')?.textContent.includes('incomplete'));
  assert.match(await page.textContent('#history-date-error'), /From date is incomplete/);
  assert.equal(new URL(page.url()).searchParams.get('from'), null, 'nothing was filtered silently');
  assert.deepEqual(problems, []);
});

test('a disabled Save says why', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/new`);
  await hydrated(page);
  await page.fill('#editor-text', 'apiVersion: nope\nkind: [\n');
  await page.waitForSelector('#save-button[disabled]');
  await page.waitForFunction(() => document.querySelector('#save-reason')?.textContent.length > 0);
  assert.match(await page.textContent('#save-reason'), /errors/);
  assert.equal(await page.getAttribute('#save-button', 'aria-describedby'), 'save-reason');
  assert.deepEqual(problems, []);
});

test('search boxes show their whole placeholder', async () => {
  const { page } = browser;
  for (const [path, selector] of [['/executions', '#history-scenario'], ['/scenarios', '#library-search']]) {
    await page.goto(`${BASE}${path}`);
    await hydrated(page);
    const fits = await page.$eval(selector, (input) => {
      const probe = document.createElement('span');
      const style = getComputedStyle(input);
      probe.style.font = style.font;
      probe.textContent = input.placeholder;
      document.body.append(probe);
      const text = probe.getBoundingClientRect().width;
      probe.remove();
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { text, room };
    });
    assert.ok(fits.room >= fits.text, `${selector}: ${JSON.stringify(fits)}`);
  }
});

test('the services page names aliases and keeps names whole', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/services`);
  await hydrated(page);
  await page.waitForSelector('#services-table');
  const alias = await page.$('#services-table .capability-alias[data-alias-of="inject_latency"]');
  assert.ok(alias, 'latency is marked as an alias of inject_latency');
  assert.match(await alias.textContent(), /latency \(alias of inject_latency\)/);
  assert.ok(await page.$('#services-table .capability-alias[data-alias-of="simulate_downtime"]'));
  const capabilities = await (await fetch(`${BASE}/api/v1/services`)).text().catch(() => '');
  void capabilities;
  const wrapped = await page.$$eval('#services-table th[scope=row]', (cells) => cells.map((c) => getComputedStyle(c).whiteSpace));
  assert.ok(wrapped.every((w) => w === 'nowrap'), 'service names and URLs do not break mid-word');
  assert.deepEqual(problems, []);
});

test('at 390 px the dashboard and the history fit, their tables scroll in place', async () => {
  const narrow = await openBrowser({ width: 390, height: 844 });
  try {
    for (const path of ['/', '/executions', '/services']) {
      await narrow.page.goto(`${BASE}${path}`);
      await hydrated(narrow.page);
      await narrow.page.waitForSelector('#executions-table, #services-table', { timeout: 15_000 });
      const width = await narrow.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${path} is ${width}px wide at 390`);
      const lastCell = await narrow.page.$eval('.table-wrap', (wrap) => wrap.scrollWidth > wrap.clientWidth ? getComputedStyle(wrap).overflowX : 'fits');
      assert.ok(['auto', 'scroll', 'fits'].includes(lastCell), lastCell);
    }
    await screenshot(narrow.page, 'small-services-390');
    assert.deepEqual(narrow.problems, []);
  } finally {
    await narrow.context.close();
  }
});
