// Recordings (issue 19): the Recordings page starts a recording of the
// exchange, chaos is injected and cleared by hand through the REST API while
// it captures, and the page stops it; the recording's events are on the
// timeline (each kind its own mark, its words on hover) and in the list, in
// the server's HTML too. A slow replay is paused, resumed and stopped from the
// page; a fast one completes. Export links the REST download, an export is
// imported back and removed after the in-page question, and "Save as
// scenario…" opens the editor on YAML that validates. Both colour schemes are
// checked for contrast.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, lowestContrast, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

const NAME = 'e2e game day';
const SERVICE = 'exchange-simulator';

async function post(path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** Waits until the replay panel shows `status`. */
async function replayStatus(page, status, timeout = 30_000) {
  await page.waitForSelector(`#replay-progress[data-status="${status}"]`, { timeout });
}

test('a hand-made game day is recorded, shown on a timeline, replayed, exported, imported and saved as a scenario', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/recordings`);
  await hydrated(page);
  assert.equal(await page.textContent('h1'), 'Recordings');
  assert.equal(await page.getAttribute('nav a[href="/recordings"]', 'aria-current'), 'page');

  // Start: a name, one service ticked, the default cap.
  await page.fill('#recording-name', NAME);
  await page.check(`#recording-services input[value="${SERVICE}"]`);
  assert.equal(await page.inputValue('#recording-max-events'), '10000');
  await page.click('#start-recording');
  await page.waitForSelector('#recording-live');
  assert.equal((await page.textContent('#live-name')).trim(), NAME);
  assert.equal(await page.isDisabled('#start-recording'), true, 'one recording at a time');
  assert.match(await page.textContent('#recording-live'), new RegExp(SERVICE));

  // Chaos by hand, through the REST API: latency, then cleared.
  await post(`/api/v1/services/${SERVICE}/chaos`, { action: 'inject_latency', parameters: { delay_ms: 100 } });
  await page.waitForFunction(() => Number(document.querySelector('#live-events')?.textContent) >= 1);
  await new Promise((r) => setTimeout(r, 1_200));
  await post('/api/v1/services/clear-chaos', { service: SERVICE });
  await page.waitForFunction(() => Number(document.querySelector('#live-events')?.textContent) >= 2);
  assert.equal(await page.textContent('#live-dropped'), '0');
  assert.match(await page.textContent('#live-elapsed'), /^\d+s$|^\d+m/);
  await screenshot(page, 'recordings-live');

  // Stop it in the page: its detail opens, with the events on the timeline.
  await page.click('#stop-recording');
  await page.waitForSelector('#recording-live', { state: 'detached' });
  await page.waitForURL(/\/recordings\?id=[0-9a-f-]{36}$/);
  const id = new URL(page.url()).searchParams.get('id');
  await page.waitForSelector(`#recording-detail[data-recording="${id}"] #detail-state:text("stopped")`);
  assert.match(await page.textContent('#recording-feedback'), /Stopped “e2e game day”: \d+ events recorded/);
  assert.equal(await page.textContent('#recording-detail-title'), NAME);
  await page.waitForSelector('#recording-timeline .rec-mark.rec-injected');
  await page.waitForSelector('#recording-timeline .rec-mark.rec-cleared');
  await page.waitForSelector('#recording-timeline .rec-window');
  const titles = await page.$$eval('#recording-timeline .rec-mark > title', (els) => els.map((e) => e.textContent));
  assert.ok(titles.some((t) => /^\+[\d.]+m?s · exchange-simulator: inject_latency \{"delay_ms":100\}$/.test(t)), JSON.stringify(titles));
  assert.ok(titles.some((t) => /exchange-simulator: chaos cleared$/.test(t)), JSON.stringify(titles));
  // One axis, its ticks from chart::ticks, starting at 0s.
  assert.equal(await page.textContent('#recording-timeline .rec-tick text'), '0s');
  const listed = await page.$$eval('#recording-events li', (els) => els.map((e) => ({ type: e.dataset.type, text: e.textContent })));
  assert.ok(listed.some((e) => e.type === 'ChaosInjected' && /by hand/.test(e.text)), JSON.stringify(listed));
  assert.ok(listed.some((e) => e.type === 'ChaosCleared'), JSON.stringify(listed));
  await page.waitForSelector(`#recordings-table tr[data-recording="${id}"] a[aria-current="page"]`);
  await screenshot(page, 'recordings-detail');

  // The server renders the same detail (the timeline is in its HTML).
  const html = await (await fetch(`${BASE}/recordings?id=${id}`)).text();
  assert.match(html, /id="recording-timeline"/);
  assert.match(html, /inject_latency/);

  // Readable in both schemes.
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await page.evaluate(lowestContrast);
  assert.ok(dark.ratio >= 4.5, `recordings (dark): ${JSON.stringify(dark)}`);
  // The timeline draws through the scheme's variables: dark shading, light names.
  const sum = (colour) => colour.match(/\d+/g).slice(0, 3).map(Number).reduce((a, v) => a + v, 0);
  assert.ok(sum(await page.$eval('#recording-timeline .rec-window', (r) => getComputedStyle(r).fill)) < 3 * 90, 'dark chaos shading');
  assert.ok(sum(await page.$eval('#recording-timeline .rec-lane-name', (t) => getComputedStyle(t).fill)) > 3 * 180, 'light lane names');
  await screenshot(page, 'recordings-detail-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await page.evaluate(lowestContrast);
  assert.ok(light.ratio >= 4.5, `recordings (light): ${JSON.stringify(light)}`);

  // A slow replay (×0.05: it waits out the recording's pauses twenty times
  // over) is paused, resumed and stopped from the page.
  await page.check('#speed-multiplier');
  await page.fill('#replay-multiplier', '0.05');
  await page.click('#replay-button');
  await replayStatus(page, 'running');
  const slowHref = await page.getAttribute('#replay-execution', 'href');
  assert.match(slowHref, /^\/executions\/[0-9a-f-]{36}$/);
  assert.match(await page.textContent('#replay-words'), /of 2 events sent · speed ×0\.05/);
  await page.click('#replay-pause');
  await replayStatus(page, 'paused');
  await page.click('#replay-resume');
  await replayStatus(page, 'running');
  await page.click('#replay-stop');
  await replayStatus(page, 'stopped');

  // Fast: every event in order, no waits; it completes.
  await page.check('#speed-fast');
  await page.click('#replay-button');
  await page.waitForFunction((old) => {
    const link = document.querySelector('#replay-execution');
    return link && link.getAttribute('href') !== old;
  }, slowHref);
  await replayStatus(page, 'completed');
  assert.match(await page.textContent('#replay-words'), /^2 of 2 events sent · speed fast$/);
  assert.equal(await page.getAttribute('#replay-progress progress', 'value'), '1');
  const fastHref = await page.getAttribute('#replay-execution', 'href');
  // Both replays are listed with the recording.
  await page.waitForSelector(`#replays-table a[href="${fastHref}"]`);
  await page.waitForSelector(`#replays-table a[href="${slowHref}"]`);
  await screenshot(page, 'recordings-replayed');
  const execution = await (await fetch(`${BASE}/api/v1/scenarios/${fastHref.split('/').pop()}/status`)).json();
  assert.equal(execution.status, 'completed', JSON.stringify(execution));

  // Export: the REST download, with a file name.
  assert.equal(await page.getAttribute('#export-json', 'download'), 'e2e-game-day.recording.json');
  assert.equal(await page.getAttribute('#export-yaml', 'download'), 'e2e-game-day.recording.yaml');
  const exported = await (await fetch(`${BASE}${await page.getAttribute('#export-json', 'href')}`)).text();
  const saved = JSON.parse(exported);
  assert.equal(saved.scenario.name, NAME);
  assert.ok(saved.events.some((e) => e.event_type.type === 'ChaosInjected'), exported);
  const yaml = await (await fetch(`${BASE}${await page.getAttribute('#export-yaml', 'href')}`)).text();
  assert.match(yaml, /recording_started:/);

  // Import it back (renamed), then remove the copy after the in-page question.
  saved.scenario.name = 'e2e imported';
  await page.fill('#import-text', JSON.stringify(saved));
  await page.click('#import-recording');
  await page.waitForFunction(() => /Imported “e2e imported”/.test(document.querySelector('#recording-feedback')?.textContent ?? ''));
  await page.waitForSelector('#detail-state:text("imported")');
  const imported = new URL(page.url()).searchParams.get('id');
  assert.notEqual(imported, id);
  await page.click('#remove-recording');
  await page.click('#recording-detail .confirm button:text("Cancel")');
  await page.click('#remove-recording');
  await page.click('#remove-recording-confirm');
  await page.waitForSelector(`#recordings-table tr[data-recording="${imported}"]`, { state: 'detached' });
  await page.waitForURL(`${BASE}/recordings`);
  assert.match(await page.textContent('#recording-feedback'), /Recording removed/);
  assert.equal((await fetch(`${BASE}/api/v1/recordings/${imported}`)).status, 404);

  // Save as scenario: the editor opens on the recording's scenario, which validates.
  await page.click(`#recordings-table tr[data-recording="${id}"] a.rec-open`);
  await page.waitForSelector(`#recording-detail[data-recording="${id}"] #save-as-scenario`);
  await page.check('#replay-skip-delay');
  await page.click('#save-as-scenario');
  await page.waitForURL(/\/scenarios\/new\?recording=[0-9a-f-]{36}&skip_initial_delay=true/);
  await page.waitForSelector('#from-recording');
  assert.match(await page.textContent('#from-recording'), /2 events became actions/);
  assert.equal(await page.textContent('h1'), 'New scenario from a recording');
  const text = await page.inputValue('#editor-text');
  assert.match(text, /^# Made from the recording "e2e game day"/);
  assert.match(text, /kind: Scenario/);
  assert.match(text, /name: e2e-game-day/);
  assert.match(text, /action: inject_latency/);
  await page.waitForFunction(() => /^✓ Valid/.test(document.querySelector('#validation-status')?.textContent ?? ''));
  assert.equal(await page.$$eval('.diagnostic-error', (els) => els.length), 0);
  await screenshot(page, 'recordings-save-as-scenario');
  // The same page loaded afresh (the link survives a reload).
  await page.reload();
  await hydrated(page);
  assert.match(await page.inputValue('#editor-text'), /name: e2e-game-day/);

  // The audit log has the UI's changes under the REST twins' names.
  for (const action of ['start-recording', 'stop-recording', 'start-replay', 'pause-replay', 'resume-replay', 'stop-replay', 'import-recording', 'remove-recording']) {
    const audit = await (await fetch(`${BASE}/api/v1/audit?action=${action}`)).json();
    assert.ok(audit.entries.some((e) => e.status === 200), `${action}: ${JSON.stringify(audit)}`);
  }
  assert.deepEqual(problems, []);
});
