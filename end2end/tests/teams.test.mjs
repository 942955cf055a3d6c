// Teams (issue 16, docs/auth.md) in a real Chromium, against a server of its
// own in users mode (run.mjs's server is in local mode): the first admin made
// with the bootstrap token; the admin signs in, adds an operator and a viewer,
// creates a token (its secret shown once), revokes it and removes an account;
// the operator runs a scenario and it is theirs (`started by ana`: needs the
// execution attribution of branch i16-attr); the viewer sees no run button nor
// controls; a state change without the CSRF token is refused; signing out ends
// the session; the audit page lists it all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCoordinator } from '../coordinator.mjs';
import { hydrated, openBrowser, screenshot } from './helpers.mjs';

const PEOPLE = {
  admin: { name: 'boss', password: 'admin password 1234' },
  operator: { name: 'ana', password: 'operator password 1234' },
  viewer: { name: 'vic', password: 'viewer password 1234' },
};
const SCENARIO = 'basic-market-disruption';

let base;
let coordinator;
let serverLog = '';
const browsers = [];
// Shared between the steps (node's runner runs a file's tests in order).
let executionUrl;
let operatorSession;

/** Takes the problems a step caused on purpose out of `problems`, and returns them. */
function expected(problems, pattern) {
  const found = problems.filter((p) => pattern.test(p));
  problems.splice(0, problems.length, ...problems.filter((p) => !pattern.test(p)));
  return found;
}

/** Signs `who` in through the sign-in form of the page `page` is on. */
async function signIn(page, who) {
  await page.waitForSelector('#sign-in-form');
  await hydrated(page);
  await page.fill('#sign-in-name', who.name);
  await page.fill('#sign-in-password', who.password);
  await page.click('#sign-in-submit');
}

before(async () => {
  coordinator = await startCoordinator({
    env: { TEST_COORDINATOR_AUTH_MODE: 'users' },
    onStderr: (text) => {
      serverLog += text;
      if (process.env.TEST_LOG) process.stderr.write(text);
    },
  });
  base = coordinator.base;
  // Printed once at the start, before /health answers (its pipe may lag a little).
  // The last one printed: a start tried again on new ports prints its own.
  const token = () => [...serverLog.matchAll(/Bootstrap token[^\n]*\n\s*\n\s*(tct_[0-9a-f]+)/g)].at(-1)?.[1];
  for (let i = 0; i < 50 && !token(); i += 1) await new Promise((r) => setTimeout(r, 100));
  const bootstrap = token();
  assert.ok(bootstrap, `the bootstrap token is on standard error:\n${serverLog}`);
  // The first admin, with the bootstrap token (a Bearer token needs no CSRF token).
  const created = await fetch(`${base}/api/add-user`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bootstrap}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user: { ...PEOPLE.admin, role: 'admin' } }),
  });
  assert.equal(created.status, 200, await created.clone().text());
  assert.equal((await created.json()).role, 'admin');
});

after(async () => {
  for (const browser of browsers) await browser.context.close().catch(() => {});
  await coordinator?.stop();
});

async function newBrowser() {
  const browser = await openBrowser();
  browsers.push(browser);
  return browser;
}

test('nobody signed in is sent to the sign-in page, which comes back to the page asked for', async () => {
  const page = await fetch(`${base}/executions?status=failed`, { redirect: 'manual' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), '/sign-in?next=/executions%3Fstatus%3Dfailed');
  const api = await fetch(`${base}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"limit":5}' });
  assert.equal(api.status, 401);
  const signInPage = await fetch(`${base}/sign-in`);
  assert.equal(signInPage.status, 200);
  const html = await signInPage.text();
  assert.match(html, /id="sign-in-form"/);
  assert.doesNotMatch(html, /aria-label="Main"/, 'no navigation for nobody');
  assert.match(html, /<meta name="tc-me" content="[^"]*&quot;mode&quot;:&quot;users&quot;/, 'the viewer is in the page');
});

test('the admin signs in, adds an operator and a viewer, creates a token shown once and revokes it', async () => {
  const { page, problems } = await newBrowser();
  await page.goto(`${base}/users`);
  assert.match(page.url(), /\/sign-in\?next=\/users$/);
  await signIn(page, { ...PEOPLE.admin, password: 'not the password at all' });
  await page.waitForFunction(() => document.querySelector('#sign-in-error')?.textContent.length > 0);
  assert.match(await page.textContent('#sign-in-error'), /wrong name or password/);
  assert.equal(expected(problems, /HTTP 401 for .*\/api\/sign-in$/).length, 1, 'one refused sign-in');
  expected(problems, /console error: Failed to load resource: the server responded with a status of 401/);

  await page.fill('#sign-in-password', PEOPLE.admin.password);
  await page.click('#sign-in-submit');
  await page.waitForURL(`${base}/users`);
  await hydrated(page);
  assert.equal(await page.textContent('#viewer-name'), PEOPLE.admin.name);
  assert.equal(await page.textContent('#viewer-role'), 'admin');
  assert.ok(await page.$('nav a[href="/users"]'), 'an admin has the Users link');
  assert.ok(await page.$(`#users-table tr[data-user="${PEOPLE.admin.name}"]`));

  for (const role of ['operator', 'viewer']) {
    await page.fill('#new-user-name', PEOPLE[role].name);
    await page.selectOption('#new-user-role', role);
    await page.fill('#new-user-password', PEOPLE[role].password);
    await page.click('#add-user');
    await page.waitForSelector(`#users-table tr[data-user="${PEOPLE[role].name}"]`);
    assert.match(await page.textContent('#add-user-feedback'), new RegExp(`Added ${PEOPLE[role].name} \\(${role}\\)`));
    assert.equal(await page.textContent(`#users-table tr[data-user="${PEOPLE[role].name}"] .role`), role);
  }
  await screenshot(page, 'teams-users');

  await page.click('nav >> text=Tokens');
  await page.waitForSelector('#create-token-form');
  await page.fill('#new-token-name', 'ci-nightly');
  await page.selectOption('#new-token-role', 'operator');
  await page.selectOption('#new-token-expiry', { label: '30 days' });
  await page.click('#create-token');
  await page.waitForSelector('#token-secret');
  const secret = await page.inputValue('#token-secret');
  assert.match(secret, /^tct_[0-9a-f]{64}$/);
  assert.match(await page.textContent('#token-secret-box'), /shown once/);
  await page.waitForSelector('#tokens-table tr[data-token="ci-nightly"]');
  const cells = await page.$$eval('#tokens-table tr[data-token="ci-nightly"] > *', (tds) => tds.map((td) => td.textContent));
  // Name, owner, role, created, expires, last used, state.
  assert.equal(cells[1], PEOPLE.admin.name);
  assert.equal(cells[2], 'operator');
  assert.match(cells[4], /^\d{4}-\d\d-\d\d /, `it expires: ${cells[4]}`);
  assert.equal(cells[5], 'never');
  await screenshot(page, 'teams-token-created');
  // The secret works, as the admin with the token's role.
  const me = await fetch(`${base}/api/me`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(me.status, 200);
  const principal = (await me.json()).principal;
  assert.deepEqual([principal.name, principal.role, principal.token], [PEOPLE.admin.name, 'operator', 'ci-nightly']);
  // Shown once: a reload has the token listed, not its secret.
  await page.reload();
  await hydrated(page);
  await page.waitForSelector('#tokens-table tr[data-token="ci-nightly"]');
  assert.equal(await page.$('#token-secret'), null);
  assert.ok(!(await page.content()).includes(secret), 'the secret is not in the page any more');
  // Revoked after asking, it stops working, and says why.
  await page.click('#revoke-ci-nightly');
  await page.click('#revoke-ci-nightly-confirm');
  await page.waitForSelector('#tokens-table tr[data-token="ci-nightly"] .badge-refused');
  assert.match(await page.textContent('#revoke-feedback'), /Revoked ci-nightly/);
  const revoked = await fetch(`${base}/api/me`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(revoked.status, 401);
  assert.match((await revoked.json()).message, /revoked/);

  // An account removed after asking is gone.
  await page.click('nav >> text=Users');
  await page.waitForSelector('#add-user-form');
  await page.fill('#new-user-name', 'temp');
  await page.fill('#new-user-password', 'temporary password 1234');
  await page.click('#add-user');
  await page.waitForSelector('#users-table tr[data-user="temp"]');
  assert.equal(await page.$(`#remove-${PEOPLE.admin.name}`), null, 'no Remove on your own row');
  await page.click('#remove-temp');
  assert.match(await page.textContent('#users-table tr[data-user="temp"] .confirm'), /Remove temp\?/);
  await page.click('#remove-temp-confirm');
  await page.waitForSelector('#users-table tr[data-user="temp"]', { state: 'detached' });
  assert.match(await page.textContent('#remove-feedback'), /Removed/);
  assert.deepEqual(problems, []);
});

test('the operator signs in, runs a library scenario, and it is attributed to them', async () => {
  const { context, page, problems } = await newBrowser();
  await page.goto(`${base}/scenarios/${SCENARIO}`);
  assert.match(page.url(), /\/sign-in\?next=/);
  await signIn(page, PEOPLE.operator);
  await page.waitForURL(`${base}/scenarios/${SCENARIO}`);
  await hydrated(page);
  assert.equal(await page.textContent('#viewer-role'), 'operator');
  assert.equal(await page.$('nav a[href="/users"]'), null, 'no Users link below admin');
  assert.ok(await page.$('#duplicate-button'), 'an operator may duplicate');
  await page.click('#run-button');
  await page.waitForSelector('#run-dialog');
  await page.fill('#run-speed', '600');
  await page.click('#run-start');
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/, { timeout: 15_000 });
  executionUrl = page.url();
  await hydrated(page);
  await page.waitForSelector('#verdict', { timeout: 90_000 });
  assert.ok(await page.$('#run-again'), 'an operator may run it again');
  operatorSession = (await context.cookies(base)).find((c) => c.name === 'tc_session')?.value;
  assert.ok(operatorSession, 'the session travels in tc_session');
  await screenshot(page, 'teams-operator-run');
  assert.deepEqual(problems, []);
  // Who started it: the operator's name, not the channel.
  const tags = await page.$$eval('.page-head .card-meta .tag', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(tags.includes(`started by ${PEOPLE.operator.name}`), `the run names its starter: ${tags}`);
});

test('a state change without the CSRF token is refused; with it, it runs', async () => {
  const { page, problems } = browsers[1];
  await page.goto(`${base}/scenarios/${SCENARIO}`);
  await hydrated(page);
  const send = (withToken) => page.evaluate(async (withToken) => {
    const headers = { 'content-type': 'application/json' };
    if (withToken) headers['x-csrf-token'] = JSON.parse(document.querySelector('meta[name="tc-me"]').content).csrf;
    const response = await fetch('/api/execute', {
      method: 'POST',
      headers,
      body: JSON.stringify({ request: { scenario: 'basic-market-disruption', options: { dry_run: true, speed: 600 } } }),
    });
    return { status: response.status, body: await response.json() };
  }, withToken);
  const forged = await send(false);
  assert.equal(forged.status, 403);
  assert.match(forged.body.message, /CSRF/);
  assert.equal(expected(problems, /HTTP 403 for .*\/api\/execute$/).length, 1, 'one refused execute');
  expected(problems, /console error: Failed to load resource: the server responded with a status of 403/);
  const sent = await send(true);
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.match(sent.body.execution_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(problems, []);
});

test('a viewer sees no run button, no controls and no changes', async () => {
  const { page, problems } = await newBrowser();
  await page.goto(`${base}/sign-in`);
  await signIn(page, PEOPLE.viewer);
  await page.waitForURL(`${base}/`);
  await hydrated(page);
  assert.equal(await page.textContent('#viewer-role'), 'viewer');
  assert.equal(await page.$('#run-a-scenario'), null, 'no "Run a scenario" on the dashboard');

  await page.goto(`${base}/scenarios/${SCENARIO}`);
  await hydrated(page);
  await page.waitForSelector('h1#scenario-name');
  for (const hidden of ['#run-button', '#duplicate-button', '#archive-button']) {
    assert.equal(await page.$(hidden), null, `no ${hidden} for a viewer`);
  }
  assert.equal(await page.textContent('#edit-link'), 'Open in editor');
  await screenshot(page, 'teams-viewer-scenario');

  await page.goto(executionUrl);
  await hydrated(page);
  await page.waitForSelector('#progress');
  for (const hidden of ['#control-pause', '#control-resume', '#control-skip_phase', '#control-stop', '#run-again']) {
    assert.equal(await page.$(hidden), null, `no ${hidden} for a viewer`);
  }
  assert.match(await page.textContent('.page-head .card-meta'), /started by/);

  await page.goto(`${base}/services`);
  await hydrated(page);
  await page.waitForSelector('#services-table');
  assert.equal(await page.$('#clear-all'), null, 'no "Clear all chaos"');
  assert.equal(await page.$('#services-table button'), null, 'no "Clear chaos"');
  const headers = await page.$$eval('#services-table thead th', (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(headers, ['Service', 'Health', 'Capabilities', 'Active chaos'], 'no empty Actions column');
  const cells = await page.$$eval('#services-table tbody tr', (rows) => rows.map((row) => row.children.length));
  assert.ok(cells.length > 0 && cells.every((n) => n === 4), `each row has the header's 4 cells: ${cells}`);

  await page.goto(`${base}/scenarios/${SCENARIO}/edit`);
  await hydrated(page);
  await page.waitForSelector('#save-needs-role');
  assert.equal(await page.$('#save-button'), null, 'no Save');

  await page.goto(`${base}/users`);
  await hydrated(page);
  assert.match(await page.textContent('#needs-role'), /needs the admin role/);
  assert.equal(await page.$('#users-table'), null);

  // The server refuses anyway, with the role needed.
  const refused = await page.evaluate(async () => {
    const csrf = JSON.parse(document.querySelector('meta[name="tc-me"]').content).csrf;
    const response = await fetch('/api/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ request: { scenario: 'basic-market-disruption', options: { dry_run: true } } }),
    });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /needs the operator role/);
  assert.equal(expected(problems, /HTTP 403 for .*\/api\/execute$/).length, 1, 'one refused execute');
  expected(problems, /console error: Failed to load resource: the server responded with a status of 403/);
  assert.deepEqual(problems, []);
});

test('signing out ends the session: pages go to sign-in and the old cookie is refused', async () => {
  const { page, problems } = browsers[1];
  await page.goto(`${base}/`);
  await hydrated(page);
  await page.click('#sign-out');
  await page.waitForURL(/\/sign-in$/);
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/sign-in\?next=\/$/);
  // The old session cookie, replayed, is nobody.
  const cookie = `tc_session=${operatorSession}`;
  const read = await fetch(`${base}/api/executions`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"limit":5}' });
  assert.equal(read.status, 401);
  const pageLoad = await fetch(`${base}/`, { headers: { cookie }, redirect: 'manual' });
  assert.equal(pageLoad.status, 303);
  assert.deepEqual(problems, []);
});

test('the audit page lists the sign-ins, the accounts, the token and the runs, filtered by the address', async () => {
  const { page, problems } = browsers[0];
  await page.goto(`${base}/audit`);
  await hydrated(page);
  await page.waitForSelector('#audit-table');
  const rows = await page.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) => ({
    action: tr.dataset.action, actor: tr.dataset.actor, text: tr.textContent,
  })));
  const has = (action, actor, outcome) => rows.some((r) => r.action === action && r.actor === actor && r.text.includes(outcome));
  for (const who of Object.values(PEOPLE)) assert.ok(has('sign-in', who.name, 'accepted'), `${who.name} signed in`);
  assert.ok(has('sign-in', PEOPLE.admin.name, 'refused'), 'the wrong password is there too');
  assert.ok(rows.some((r) => r.action === 'add-user' && r.text.includes(PEOPLE.operator.name)), 'the operator was added');
  assert.ok(rows.some((r) => r.action === 'add-user' && r.text.includes(PEOPLE.viewer.name)), 'the viewer was added');
  assert.ok(has('remove-user', PEOPLE.admin.name, 'accepted'), 'an account was removed');
  assert.ok(has('revoke-token', PEOPLE.admin.name, 'accepted'), 'the token was revoked');
  assert.ok(has('create-token', PEOPLE.admin.name, 'accepted'), 'the token was created');
  assert.ok(has('execute', PEOPLE.operator.name, 'accepted'), 'the operator ran it');
  assert.ok(has('execute', PEOPLE.operator.name, 'refused'), 'the forged request was refused');
  assert.ok(has('execute', PEOPLE.viewer.name, 'refused'), "the viewer's request was refused");
  assert.ok(has('sign-out', PEOPLE.operator.name, 'accepted'), 'the operator signed out');
  const ids = await page.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.id)));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  await screenshot(page, 'teams-audit');

  // Filtered in the address: a link others can open.
  await page.fill('#audit-action', 'execute');
  await page.fill('#audit-user', PEOPLE.operator.name);
  await page.click('#audit-filter');
  await page.waitForURL(/\/audit\?user=ana&action=execute$/);
  // Non-empty: `every` over no rows (the table while the filtered page loads) is vacuously true.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-table tbody tr')];
    return rows.length > 0 && rows.every((tr) => tr.dataset.action === 'execute');
  });
  const filtered = await page.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) => `${tr.dataset.actor} ${tr.dataset.action}`));
  assert.ok(filtered.length >= 3, `the operator's runs and the refused one: ${filtered}`);
  assert.ok(filtered.every((r) => r === `${PEOPLE.operator.name} execute`), filtered.join(', '));
  await page.goto(`${base}/audit?action=add-user`);
  await hydrated(page);
  const added = await page.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) => tr.dataset.action));
  assert.ok(added.length >= 4 && added.every((a) => a === 'add-user'), added.join(', '));
  assert.deepEqual(problems, []);
});
