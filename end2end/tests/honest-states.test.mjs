// Honest states (issue 15, point 5): Stop asks first; a user's stop reads
// "■ STOPPED by <who>" — not a red FAILED — on the execution page, in the history
// and the dashboard and in the report; an ended run shows no controls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

async function execute(scenario, options) {
  const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario, options }),
  });
  assert.equal(response.status, 202);
  return (await response.json()).execution_id;
}

test('Stop asks first; the stopped run says who stopped it, everywhere, and hides its controls', async () => {
  const { page, problems } = browser;
  const id = await execute('basic-market-disruption', { speed: 5 });
  await page.goto(`${BASE}/executions/${id}`);
  await hydrated(page);
  await page.waitForSelector('#control-stop:not([disabled])', { timeout: 15_000 });
  await page.click('#control-stop');
  assert.match(await page.textContent('.controls .confirm'), /Stop this execution\?/);
  await page.click('#control-stop-cancel');
  assert.ok(await page.$('#control-stop'), 'Cancel brings the button back');
  await page.waitForTimeout(500);
  assert.equal(await page.$('#verdict'), null, 'cancelled: nothing was stopped');
  await page.click('#control-stop');
  await page.click('#control-stop-confirm');
  await page.waitForSelector('#verdict', { timeout: 30_000 });
  const heading = await page.textContent('#verdict h2');
  assert.match(heading, /■ STOPPED by local:\S+/);
  assert.doesNotMatch(heading, /FAILED/);
  assert.ok(await page.$('#verdict.verdict-stopped'));
  assert.match(await page.textContent('#execution-status'), /stopped by local:\S+/);
  for (const control of ['pause', 'resume', 'skip_phase', 'stop']) {
    assert.equal(await page.$(`#control-${control}`), null, `no ${control} on an ended run`);
  }
  await screenshot(page, 'honest-stopped');

  // Reloaded (server-rendered from the store), the same.
  await page.reload();
  await hydrated(page);
  assert.match(await page.textContent('#verdict h2'), /■ STOPPED by local:\S+/);
  assert.equal(await page.$('#control-stop'), null);

  await page.goto(`${BASE}/executions?status=stopped`);
  await hydrated(page);
  assert.match(await page.textContent(`#executions-table tr[data-id="${id}"] .badge`), /stopped by local:\S+/);
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await page.waitForSelector(`#executions-table tr[data-id="${id}"]`);
  assert.match(await page.textContent(`#executions-table tr[data-id="${id}"] .badge`), /stopped by local:\S+/);

  const html = await (await fetch(`${BASE}/api/v1/scenarios/${id}/report?format=html`)).text();
  assert.match(html, /■ STOPPED by local:\S+/);
  assert.doesNotMatch(html, /✗ FAILED/);
  assert.deepEqual(problems, []);
});

test('a stop over the API names who sent it', async () => {
  const { page, problems } = browser;
  const id = await execute('basic-market-disruption', { speed: 5 });
  for (let i = 0; i < 100; i++) {
    const detail = await (await fetch(`${BASE}/api/v1/scenarios/${id}/status`)).json();
    if (detail.status === 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopped = await fetch(`${BASE}/api/v1/scenarios/${id}/stop`, { method: 'POST' });
  assert.equal(stopped.status, 200);
  await page.goto(`${BASE}/executions/${id}`);
  await hydrated(page);
  await page.waitForSelector('#verdict', { timeout: 30_000 });
  assert.match(await page.textContent('#verdict h2'), /■ STOPPED by local:\S+/);
  assert.deepEqual(problems, []);
});
