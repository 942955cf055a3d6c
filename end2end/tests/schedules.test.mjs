// Schedules (issue 18): "Schedule…" on a scenario page previews the timing in
// plain words with the next runs in the viewer's zone and UTC, names a wrong
// field, and creates the schedule; the Schedules page shows its next run (the
// viewer's time and UTC; UTC alone in the server's HTML), the next 7 days,
// runs it now and links the execution it started, and removes it after an
// in-page confirmation. The browser runs in Europe/Berlin, so its times differ
// from UTC's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, lowestContrast, openBrowser, screenshot, withoutMarkers } from './helpers.mjs';

let browser;
before(async () => {
  browser = await openBrowser();
  const cdp = await browser.context.newCDPSession(browser.page);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Europe/Berlin' });
});
after(async () => { await browser?.context.close(); });

const NAME = 'stablecoin hourly e2e';
const row = `#schedules-table tr[data-name="${NAME}"]`;
// `Tue 1 Dec 02:00 (01:00 UTC)`: the viewer's time, then UTC's (with its day when it differs).
const ZONED = /^\w{3} \d{1,2} \w{3} \d\d:\d\d(:\d\d)? \((\w{3} \d{1,2} \w{3} )?\d\d:\d\d(:\d\d)? UTC\)$/;

test('a schedule made from a scenario page shows its next run, runs now, links its execution and is removed', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/stablecoin-depeg-scenario`);
  await hydrated(page);
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'Europe/Berlin');
  await page.click('#schedule-button');
  await page.waitForSelector('#schedule-dialog');
  assert.equal(await page.inputValue('#schedule-name'), 'stablecoin-depeg-scenario');

  // The default: weekdays at 02:00 in the browser's zone, in words with the next run.
  assert.equal(await page.inputValue('#schedule-zone'), 'Europe/Berlin');
  await page.waitForSelector('#schedule-words');
  assert.match(await page.textContent('#schedule-words'),
    /^every weekday at 02:00 Europe\/Berlin; next: \w{3} \d{1,2} \w{3} 02:00 \((00|01):00 UTC\)$/);
  await screenshot(page, 'schedule-form-cron');

  // A wrong field: the server's message names it, and nothing is stored.
  await page.selectOption('#schedule-kind', 'periodic');
  await page.fill('#schedule-interval', '0');
  await page.waitForSelector('#schedule-problem');
  assert.match(await page.textContent('#schedule-problem'), /interval_seconds/);
  // A bad cron expression too.
  await page.selectOption('#schedule-kind', 'cron');
  await page.fill('#schedule-expression', '61 * * * *');
  await page.waitForFunction(() => /schedule\.expression|expression/.test(document.querySelector('#schedule-problem')?.textContent ?? ''));

  // Every hour (it does not fire by itself during the test), at ×3600.
  await page.selectOption('#schedule-kind', 'periodic');
  await page.fill('#schedule-name', NAME);
  await page.fill('#schedule-interval', '3600');
  await page.fill('#schedule-speed', '3600');
  await page.waitForFunction(() => /; next: /.test(document.querySelector('#schedule-words')?.textContent ?? ''));
  const words = await page.textContent('#schedule-words');
  assert.match(words, /^every .*hour.*; next: /, words);
  assert.match(words.split('; next: ')[1], ZONED);
  assert.ok((await page.$$('#schedule-runs li')).length > 1, 'the next runs are listed');
  await screenshot(page, 'schedule-form-periodic');
  await page.click('#schedule-create');
  await page.waitForSelector('#schedule-created');
  assert.match(await page.textContent('#schedule-created'), /Next run: \w{3} \d{1,2} \w{3} \d\d:\d\d(:\d\d)? \(/);

  // The Schedules page: the next run in Berlin and UTC, an hour from now.
  await page.click('#schedule-created-link');
  await page.waitForURL(`${BASE}/schedules`);
  await page.waitForSelector(row);
  const next = page.locator(`${row} .schedule-next time`);
  await page.waitForFunction((selector) => / UTC\)$/.test(document.querySelector(selector)?.textContent ?? ''), `${row} .schedule-next time`);
  assert.match(await next.textContent(), ZONED);
  const due = Date.parse(await next.getAttribute('datetime'));
  assert.ok(Math.abs(due - (Date.now() + 3600_000)) < 120_000, `next run about an hour from now: ${new Date(due).toISOString()}`);
  assert.match(await page.textContent(`${row} .schedule-target`), /stablecoin-depeg-scenario/);
  assert.match(await page.textContent(`${row} .schedule-when`), /every/);
  assert.match(await page.textContent(`${row} .schedule-state`), /enabled/);
  assert.match(await page.textContent(`${row} .schedule-last`), /not run yet/);
  // The next 7 days, today first, with the hourly runs counted.
  const days = await page.$$eval('#calendar-strip .calendar-day', (els) => els.map((e) => ({ text: e.textContent, count: Number(e.dataset.count) })));
  assert.equal(days.length, 7);
  assert.match(days[0].text, /\(today\)/);
  // Hourly: a whole day has 24; a schedule's next 50 runs are counted, and the strip says so.
  assert.equal(days.reduce((sum, d) => sum + d.count, 0), 50, JSON.stringify(days));
  assert.ok(days.some((d) => d.count === 24 && d.text.includes(`${NAME} ×24`)), JSON.stringify(days));
  assert.match(await page.textContent('#calendar-capped'), /next 50 runs/);
  await screenshot(page, 'schedules-page');

  // The server renders UTC alone (it does not know the viewer's zone).
  const html = withoutMarkers(await (await fetch(`${BASE}/schedules`)).text());
  assert.match(html, new RegExp(`data-name="${NAME}"`));
  assert.match(html, /<time [^>]*title="UTC"[^>]*>\w{3} \d{1,2} \w{3} \d\d:\d\d(:\d\d)? UTC<\/time>/);

  // Readable in the dark scheme too.
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await page.evaluate(lowestContrast);
  assert.ok(dark.ratio >= 4.5, `schedules (dark): ${JSON.stringify(dark)}`);
  await screenshot(page, 'schedules-page-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await page.evaluate(lowestContrast);
  assert.ok(light.ratio >= 4.5, `schedules (light): ${JSON.stringify(light)}`);

  // Run it now: the execution it started is linked, here and in the row.
  await page.click(`${row} .schedule-trigger`);
  await page.waitForSelector('#triggered-execution');
  const href = await page.getAttribute('#triggered-execution', 'href');
  assert.match(href, /^\/executions\/[0-9a-f-]{36}$/);
  await page.waitForSelector(`${row} .schedule-last a[href="${href}"]`);
  assert.match(await page.textContent(`${row} .schedule-last`), /started by hand/);
  const scheduleId = await page.getAttribute(row, 'data-schedule');
  await page.click('#triggered-execution');
  await page.waitForURL(`${BASE}${href}`);
  await hydrated(page);
  await page.waitForSelector('#execution-status');
  assert.match(await page.textContent('body'), new RegExp(`started by schedule:${scheduleId}`));
  assert.match(await page.textContent('h1'), /stablecoin-depeg-scenario/);
  await screenshot(page, 'schedule-triggered-execution');
  const history = await (await fetch(`${BASE}/api/v1/executions?limit=20`)).json();
  const rows = Array.isArray(history) ? history : (history.executions ?? history.items ?? []);
  assert.ok(JSON.stringify(rows).includes(`schedule:${scheduleId}`), `the history names the schedule: ${JSON.stringify(history).slice(0, 400)}`);

  // Remove it, after the in-page question; Cancel keeps it.
  await page.goto(`${BASE}/schedules`);
  await hydrated(page);
  await page.waitForSelector(row);
  await page.click(`#remove-${scheduleId}`);
  assert.match(await page.textContent(`${row} .confirm`), new RegExp(`Remove “${NAME}”\\?`));
  await page.click(`${row} .confirm button:text("Cancel")`);
  await page.waitForSelector(`#remove-${scheduleId}`);
  await page.click(`#remove-${scheduleId}`);
  await page.click(`#remove-${scheduleId}-confirm`);
  await page.waitForSelector(row, { state: 'detached' });
  assert.match(await page.textContent('#schedule-feedback'), /Schedule removed/);
  assert.equal((await (await fetch(`${BASE}/api/v1/schedules/${scheduleId}`)).status), 404);

  // The audit log has the UI's changes.
  for (const action of ['create-schedule', 'trigger-schedule', 'remove-schedule']) {
    const audit = await (await fetch(`${BASE}/api/v1/audit?action=${action}`)).json();
    assert.ok(audit.entries.some((e) => e.status === 200), `${action}: ${JSON.stringify(audit)}`);
  }

  // Leave nothing running for the next tests.
  await fetch(`${BASE}/api/v1/scenarios/${href.split('/').pop()}/stop`, { method: 'POST' });
  // The refused previews (interval 0, a bad expression) are the only failed requests.
  const refused = /^HTTP 400 for .*\/api\/preview-schedule$|^console error: Failed to load resource: the server responded with a status of 400/;
  assert.ok(problems.filter((p) => /^HTTP 400/.test(p)).length >= 2, `the server refused the wrong fields: ${problems}`);
  assert.deepEqual(problems.filter((p) => !refused.test(p)), []);
});
