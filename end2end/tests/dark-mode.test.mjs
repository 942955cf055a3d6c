// Dark mode (issue 15, point 9): every page follows prefers-color-scheme, its text
// keeps WCAG AA contrast, the charts (plan timeline, workload chart) draw in dark
// colours, and the standalone HTML report follows the scheme too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, lowestContrast, openBrowser, screenshot } from './helpers.mjs';

let browser;
let finished;
before(async () => {
  browser = await openBrowser();
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario: 'basic-market-disruption', options: { speed: 100000 } }),
  });
  finished = (await response.json()).execution_id;
  for (let i = 0; i < 300; i++) {
    const detail = await (await fetch(`${BASE}/api/v1/scenarios/${finished}/status`)).json();
    if (!['queued', 'running', 'paused'].includes(detail.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => { await browser?.context.close(); });

for (const scheme of ['dark', 'light']) {
  test(`every page follows the ${scheme} scheme with readable text`, async () => {
    const { page, problems } = browser;
    await page.emulateMedia({ colorScheme: scheme });
    for (const path of ['/', '/scenarios', '/scenarios/basic-market-disruption', '/scenarios/new', '/executions',
      `/executions/${finished}`, '/services', `/executions/${finished}/report`]) {
      await page.goto(`${BASE}${path}`);
      await hydrated(page);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const [r, g, b] = background.match(/\d+/g).map(Number);
      const dark = r + g + b < 3 * 80;
      assert.equal(dark, scheme === 'dark', `${path}: background ${background} in ${scheme}`);
      const worst = await page.evaluate(lowestContrast);
      assert.ok(worst.ratio >= 4.5, `${path} (${scheme}): ${JSON.stringify(worst)}`);
    }
    assert.deepEqual(problems, []);
    await page.emulateMedia({ colorScheme: 'light' });
  });
}

test('charts draw in dark colours in the dark scheme', async () => {
  const { page, problems } = browser;
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${BASE}/executions/${finished}`);
  await hydrated(page);
  await page.waitForSelector('.timeline-svg');
  const timeline = await page.$eval('.tl-phase rect', (r) => getComputedStyle(r).fill);
  const [r, g, b] = timeline.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 3 * 90, `timeline phase bands are dark: ${timeline}`);
  const label = await page.$eval('.tl-phase-name', (t) => getComputedStyle(t).fill);
  assert.ok(label.match(/\d+/g).map(Number).reduce((a, v) => a + v, 0) > 3 * 180, `labels are light: ${label}`);
  if (await page.$('.workload-chart')) {
    const band = await page.$eval('.workload-chart .wl-phase rect', (rect) => getComputedStyle(rect).fill);
    assert.ok(band.match(/\d+/g).map(Number).reduce((a, v) => a + v, 0) < 3 * 90, `workload bands are dark: ${band}`);
  }
  await screenshot(page, 'dark-execution');
  await page.goto(`${BASE}/api/v1/scenarios/${finished}/report?format=html`);
  const body = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.ok(body.match(/\d+/g).map(Number).reduce((a, v) => a + v, 0) < 3 * 80, `the report is dark: ${body}`);
  const worst = await page.evaluate(lowestContrast);
  assert.ok(worst.ratio >= 4.5, `report (dark): ${JSON.stringify(worst)}`);
  await screenshot(page, 'dark-report');
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(problems, []);
});
