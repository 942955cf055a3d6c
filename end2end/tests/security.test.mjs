// Issue 13, findings 3 and 4 in a real Chromium: a page on another origin (a
// second local server, another port) tries a form post to a server function,
// text/plain JSON to the REST execute and clear-chaos endpoints, a JSON fetch and a
// WebSocket — all are refused and nothing changes. Then scenarios whose text is
// markup are shown on every page that shows user text, and nothing in them runs
// (while the UI's own WASM still hydrates under the Content-Security-Policy).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
let attacker;
let attackerUrl;

/** The hostile page: every attack it can make without asking, results in `window.results`. */
function attackPage() {
  const execute = JSON.stringify({ scenario: 'basic-market-disruption', options: { dry_run: true } });
  const upload = JSON.stringify({ yaml: 'apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: planted\nspec:\n  phases:\n    - name: p\n      duration: 1m\n' });
  const ws = BASE.replace('http://', 'ws://');
  return `<!DOCTYPE html><html><head><title>attacker</title></head><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="f1" method="POST" action="${BASE}/api/execute" target="sink1">
  <input name="request[scenario]" value="basic-market-disruption"><input name="request[options][dry_run]" value="true">
</form>
<form id="f2" method="POST" action="${BASE}/api/v1/scenarios/upload" enctype="text/plain" target="sink2">
  <input name='${upload.slice(0, -1)}, "x": "' value='"}'>
</form>
<script>
window.results = {};
(async () => {
  document.getElementById('f1').submit();
  document.getElementById('f2').submit();
  const plain = (path, body) => fetch('${BASE}' + path, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body })
    .then((r) => r.type, (e) => 'error: ' + e);
  results.execute = await plain('/api/v1/scenarios/execute', ${JSON.stringify(execute)});
  results.clear = await plain('/api/v1/services/clear-chaos', '{"all": true}');
  results.serverFn = await plain('/api/clear-chaos', '{}');
  results.json = await fetch('${BASE}/api/v1/scenarios/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(execute)} })
    .then((r) => 'status ' + r.status, (e) => 'error');
  results.read = await fetch('${BASE}/api/v1/executions').then((r) => 'status ' + r.status, () => 'error');
  results.ws = await new Promise((done) => {
    const socket = new WebSocket('${ws}/ws/scenario-execution');
    socket.onopen = () => done('open');
    socket.onerror = () => done('error');
    socket.onclose = () => done('closed');
  });
  results.done = true;
})();
</script></body></html>`;
}

before(async () => {
  browser = await openBrowser();
  attacker = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(attackPage());
  });
  await new Promise((ok) => attacker.listen(0, '127.0.0.1', ok));
  attackerUrl = `http://127.0.0.1:${attacker.address().port}/`;
});
after(async () => {
  await browser?.context.close();
  await new Promise((ok) => (attacker ? attacker.close(ok) : ok()));
});

async function api(path, init) {
  const response = await fetch(`${BASE}${path}`, init);
  return { status: response.status, body: await response.json().catch(() => null) };
}

const postJson = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function exchangeChaos() {
  const { body } = await api('/api/v1/system/state');
  const exchange = body.services.find((s) => s.name === 'exchange-simulator');
  return JSON.stringify(exchange?.active_chaos ?? null);
}

test('a page on another origin cannot start, store, clear or listen', async () => {
  const { context, problems } = browser;
  const before = await api('/api/v1/executions');
  // Chaos to be cleared, put there directly through the sandbox.
  const injected = await fetch(`${process.env.EXCHANGE_SIMULATOR_URL}/chaos/inject_latency`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delay_ms: 300 }),
  });
  assert.ok(injected.ok, 'the sandbox took the chaos');
  const chaosBefore = await exchangeChaos();
  assert.match(chaosBefore, /latency/);

  const seen = [];
  const page = await context.newPage();
  page.on('response', (r) => { if (r.url().startsWith(BASE)) seen.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`); });
  page.on('requestfailed', (r) => { if (r.url().startsWith(BASE)) seen.push(`${r.method()} ${new URL(r.url()).pathname} failed ${r.failure()?.errorText}`); });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(attackerUrl);
  await page.waitForFunction(() => window.results?.done === true, null, { timeout: 20_000 });
  const results = await page.evaluate(() => window.results);
  await page.waitForTimeout(200); // let the two form posts land
  assert.notEqual(results.ws, 'open', 'the WebSocket was refused');
  assert.equal(results.json, 'error', 'a JSON fetch fails its preflight');
  assert.equal(results.read, 'error', 'a cross-origin read is refused');
  // Each attack reached the server (and was answered 403, or its answer was
  // withheld from the page by Cross-Origin-Resource-Policy); none succeeded.
  for (const request of ['POST /api/execute', 'POST /api/v1/scenarios/upload', 'POST /api/v1/scenarios/execute',
    'POST /api/v1/services/clear-chaos', 'POST /api/clear-chaos']) {
    assert.ok(seen.some((s) => s.startsWith(`${request} `)), `${request} in ${JSON.stringify(seen)}`);
  }
  assert.ok(seen.every((s) => / (403|failed .*)$/.test(s)), `nothing succeeded: ${JSON.stringify(seen)}`);
  await page.close();

  const after = await api('/api/v1/executions');
  assert.equal(after.body.total, before.body.total, 'no execution was started');
  const planted = await api('/api/v1/scenarios/available?q=planted');
  assert.deepEqual(planted.body.scenarios, [], 'nothing was stored');
  assert.equal(await exchangeChaos(), chaosBefore, 'the chaos is still there');
  assert.deepEqual(dialogs, []);
  // The attacker page's own refusals are expected; the operator's pages had none.
  problems.splice(0, problems.length);
  assert.equal((await postJson('/api/v1/services/clear-chaos', { all: true })).status, 200, 'the CLI-style request still works');
});

const PAYLOAD = `</textarea></title><img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2;alert(2)</script>`;

function hostileYaml(name) {
  return `apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: ${JSON.stringify(name)}
  description: ${JSON.stringify(`desc ${PAYLOAD}`)}
  category: ${JSON.stringify('custom')}
spec:
  phases:
    # ${PAYLOAD}
    - name: ${JSON.stringify(`look ${PAYLOAD}`)}
      duration: 1m
      assertions:
        - {type: system_health, expect: all_services_healthy}
`;
}

async function assertInert(page, dialogs, label) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, `${label}: nothing ran`);
  assert.equal(await page.locator('img[src="x"]').count(), 0, `${label}: no injected element`);
  // Leptos's serialised resources hold the text as an escaped JS string; an
  // injected element would be a script of its own.
  assert.equal(await page.locator('script').evaluateAll((els) => els.filter((e) => e.textContent.trimStart().startsWith('window.__pwned')).length), 0, `${label}: no injected script`);
  assert.deepEqual(dialogs, [], label);
}

test('stored markup stays text on the editor, scenario, library, history, execution and report pages', async () => {
  const { page, problems } = browser;
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const uploaded = await postJson('/api/v1/scenarios/upload', { yaml: hostileYaml('xss-probe') });
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  const byId = await postJson('/api/v1/scenarios/execute', { scenario_id: 'xss-probe', options: { speed: 100000 } });
  assert.equal(byId.status, 202, JSON.stringify(byId.body));
  // An inline scenario may carry markup in its name, which the execution page puts in <title>.
  const inline = await postJson('/api/v1/scenarios/execute', { yaml: hostileYaml(`inline ${PAYLOAD}`), options: { speed: 100000 } });
  assert.equal(inline.status, 202, JSON.stringify(inline.body));
  for (const { body } of [byId, inline]) {
    for (let i = 0; i < 300; i++) {
      const { body: detail } = await api(`/api/v1/scenarios/${body.execution_id}/status`);
      if (!['queued', 'running', 'paused'].includes(detail.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const pages = [
    ['editor', '/scenarios/xss-probe/edit'],
    ['scenario', '/scenarios/xss-probe'],
    ['library', '/scenarios'],
    ['history', '/executions'],
    ['execution', `/executions/${byId.body.execution_id}`],
    ['inline execution', `/executions/${inline.body.execution_id}`],
    ['report', `/executions/${inline.body.execution_id}/report`],
  ];
  for (const [label, path] of pages) {
    await page.goto(`${BASE}${path}`);
    await hydrated(page);
    await page.waitForTimeout(300);
    await assertInert(page, dialogs, label);
    if (label === 'editor') {
      assert.ok((await page.inputValue('#editor-text')).includes(PAYLOAD), 'the editor holds the text as it was stored');
      await screenshot(page, 'security-editor');
    }
    if (label === 'inline execution') {
      assert.ok((await page.title()).includes('</title><img'), 'the title shows the name as text');
    }
    if (label === 'report') {
      const frame = page.frameLocator('#report-frame');
      await frame.locator('main').waitFor();
      assert.ok((await frame.locator('main').textContent()).includes('window.__pwned'), 'the report shows the text');
      assert.equal(await frame.locator('img[src="x"], script').count(), 0, 'report: no injected element');
      await screenshot(page, 'security-report');
    }
  }
  // No CSP violation by the UI's own code, no failed request, no error.
  assert.deepEqual(problems, []);
});
