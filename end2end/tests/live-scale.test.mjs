// The live view scales with events, not with time (issue 15, point 1): the
// README's stablecoin run at ×3600 (≈3,000 events in 36 s on a quiet machine,
// nearly all checks; fewer where the machine is busy) and a synthetic run of
// ≈20,000 events in 20 s, each followed in a page from its start to its
// verdict, and a view that falls behind catching up. The figures come from
// live-probe.mjs; measure/live.test.mjs prints them.
//
// Bounds, for the debug build `make test` uses on a shared 2-core machine:
// - the verdict within 2 s of the server's `execution_finished` (the bar;
//   this build shows it within ~30 ms, the old live view never did);
// - no long task over 200 ms once hydrated: the bar is 100 ms, and this
//   build makes none over 50 ms, but a task's wall time stretches when other
//   processes share the two cores (the old view blocked for seconds); the debug
//   WASM's one-off compile and hydration is measured by the benchmark instead;
// - a trivial script answers within 1 s throughout (the old view took > 5 s);
// - JS heap under 100 MB (this build: ~5 MB);
// - at most 100 rows in the events log (the window), none of them a check.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, openBrowser } from './helpers.mjs';
import { STABLECOIN, SYNTHETIC, execute, follow, instrument } from './live-probe.mjs';

let browser;
before(async () => {
  browser = await openBrowser();
  await instrument(browser.page);
});
after(async () => { await browser?.context.close(); });

function assertScales(figures, label) {
  console.log(`${label}: ${JSON.stringify(figures)}`);
  assert.ok(figures.verdict, `${label}: the verdict appeared`);
  assert.ok(figures.verdictAfterFinishedMs !== null && figures.verdictAfterFinishedMs < 2_000,
    `${label}: verdict ${figures.verdictAfterFinishedMs} ms after execution_finished`);
  assert.ok(figures.longTasksAfterHydration.worstMs < 200, `${label}: worst long task ${figures.longTasksAfterHydration.worstMs} ms`);
  assert.ok(figures.slowestAnswerMs < 1_000, `${label}: a trivial script took ${figures.slowestAnswerMs} ms`);
  assert.ok(figures.heapMaxMB < 100, `${label}: JS heap ${figures.heapMaxMB} MB`);
  assert.ok(figures.logRowsMax <= 100, `${label}: ${figures.logRowsMax} log rows in the DOM`);
}

test('the stablecoin run at ×3600 stays responsive and shows its verdict at once', { timeout: 180_000 }, async () => {
  const { context, page, problems } = browser;
  const id = await execute(STABLECOIN);
  let polled = 0;
  const figures = await follow(context, page, id, {
    onLive: async (p) => {
      // A check updates its assertion's row (counter and last message), no log row.
      const text = await p.textContent('#assertions-table tbody');
      polled = Number(text.match(/polling (\d+) — not yet/)?.[1] ?? 0);
      assert.equal(await p.$$eval('#event-log li[data-kind="assertion_checked"]', (els) => els.length), 0);
    },
  });
  // How many checks the run makes is not bounded here: it is how often the
  // engine could poll the sandbox in 36 s of wall time (≈3,000 on a quiet
  // machine, 625 on a loaded CI runner), a throughput figure, and the
  // synthetic run below is the volume test. What must hold is that checks
  // happened and the page showed them while polled.
  assert.ok(figures.checks > 0, 'the run made checks');
  assert.ok(polled > 0, 'an assertion showed its checks while polled');
  assertScales(figures, 'stablecoin ×3600');
  assert.match(await page.textContent('#verdict'), /PASSED|FAILED/);
  assert.deepEqual(problems, []);
});

test('a synthetic run of 20,000 events in 20 s stays responsive', { timeout: 180_000 }, async () => {
  const { context, page, problems } = browser;
  const id = await execute(SYNTHETIC);
  const figures = await follow(context, page, id);
  assert.ok(figures.events > 12_000, `a run of many events (${figures.events} in ${figures.serverSeconds} s)`);
  assertScales(figures, 'synthetic');
  // Each assertion's row ends with its decision, or the checks it made when the
  // phase's end cut its window.
  const cells = await page.$$eval('#assertions-table td.result', (els) => els.map((e) => e.textContent));
  assert.equal(cells.length, 8);
  assert.ok(cells.every((c) => /failed|polling \d+/.test(c)), cells.join(' | '));
  assert.deepEqual(problems, []);
});

test('a view that falls behind jumps to the current state instead of replaying', { timeout: 180_000 }, async () => {
  const { context, problems } = browser;
  const page = await context.newPage();
  const urls = [];
  page.on('websocket', (ws) => urls.push(ws.url()));
  await page.addInitScript(() => {
    window.__linkStates = [];
    new MutationObserver(() => {
      const text = document.getElementById('link-state')?.textContent;
      if (text && window.__linkStates.at(-1) !== text) window.__linkStates.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  const id = await execute(SYNTHETIC);
  try {
    await page.goto(`${BASE}/executions/${id}`);
    await page.waitForSelector('body[data-hydrated="true"]');
        // The page's own work blocks it for 4 s while ~4,000 events arrive.
    await new Promise((ok) => setTimeout(ok, 2_000));
    await page.evaluate(() => { const end = Date.now() + 4_000; while (Date.now() < end) { /* busy */ } });
    await page.waitForSelector('#verdict', { timeout: 60_000 });
    const states = await page.evaluate(() => window.__linkStates);
    assert.ok(states.includes('catching up…'), `it caught up: ${states.join(' → ')}`);
    assert.ok(urls.length >= 2, `it followed on with a new socket (${urls.length})`);
    assert.match(urls[1], /since=\d+/, 'from the state it re-read');
    // The state it jumped to is the server's: its events log is the stored one
    // (checks aside), newest first.
    const { events } = await (await fetch(`${BASE}/api/v1/scenarios/${id}/logs?limit=100000`)).json();
    const logged = events.filter((e) => e.kind !== 'assertion_checked' && e.kind !== 'workload_slot').map((e) => e.seq).reverse();
    const seqs = await page.$$eval('#event-log li .log-seq', (els) => els.map((e) => Number(e.textContent.slice(1))));
    assert.deepEqual(seqs, logged.slice(0, 100));
    const cells = await page.$$eval('#assertions-table td.result', (els) => els.map((e) => e.textContent));
    assert.ok(cells.every((c) => /failed|polling \d+/.test(c)), cells.join(' | '));
  } finally {
    await page.close();
  }
  assert.deepEqual(problems, []);
});
