// The scenario page's Duplicate, and the editor's version history (view, load,
// diff), file upload, "go to line" from a diagnostic, and the template form with
// its rendered preview (rendered and validated in the browser).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

const COPY = 'volatility-spike-copy';

/** Takes out the problems a test caused on purpose (a refused request is logged twice). */
function expected(problems, pattern) {
  const found = problems.filter((p) => pattern.test(p));
  problems.splice(0, problems.length, ...problems.filter((p) => !pattern.test(p)));
  return found;
}

test('duplicate a scenario under a new name and land in its editor; a taken name is refused', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/volatility-spike`);
  await hydrated(page);
  await page.click('#duplicate-button');
  assert.equal(await page.inputValue('#duplicate-name'), 'volatility-spike-copy', 'a free name is proposed');
  await screenshot(page, 'scenario-duplicate');
  await page.click('#duplicate-start');
  await page.waitForURL(new RegExp(`/scenarios/${COPY}/edit$`));
  await page.waitForSelector('#validation-status:has-text("Valid")');
  assert.match(await page.inputValue('#editor-text'), new RegExp(`name: "${COPY}"`), 'the copy has its own name');
  await page.waitForSelector('#versions-table tr[data-version="1"]');
  const stored = await (await fetch(`${BASE}/api/v1/scenarios/${COPY}/versions`)).json();
  assert.equal(stored.versions.length, 1);

  await page.goto(`${BASE}/scenarios/volatility-spike`);
  await hydrated(page);
  await page.click('#duplicate-button');
  await page.click('#duplicate-start');
  await page.waitForSelector('#duplicate-error');
  assert.match(await page.textContent('#duplicate-error'), /exists already/);
  // Server functions answer every error with 500 (Leptos), the REST API with 409.
  assert.ok(expected(problems, /duplicate-scenario|status of 500/).length >= 1, 'the refusal was an error response');
  assert.deepEqual(problems, []);
});

test('save a second version, diff it against the first, view and load the first back', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/${COPY}/edit`);
  await hydrated(page);
  await page.waitForSelector('#versions-table');
  const v1 = await page.inputValue('#editor-text');
  const v2 = v1.replace(/description: "([^"]*)"/, 'description: "$1, copied and edited"');
  assert.notEqual(v2, v1);
  await page.fill('#editor-text', v2);
  await page.waitForSelector('#validation-status:has-text("Valid")');
  await page.click('#save-button');
  await page.waitForSelector('#save-result :text("Saved version 2")');
  await page.waitForSelector('#versions-table tr[data-version="2"]');
  // Version 1 against version 2: exactly the description line changed.
  await page.selectOption('#diff-from', '1');
  await page.selectOption('#diff-to', '2');
  await page.waitForSelector('#diff .diff-added');
  assert.match(await page.textContent('#diff-summary'), /1 line\(s\) added, 1 removed/);
  assert.match(await page.textContent('#diff .diff-added'), /copied and edited/);
  assert.doesNotMatch(await page.textContent('#diff .diff-removed'), /copied and edited/);
  await screenshot(page, 'editor-diff');
  // The editor against the latest version: no difference until one types.
  await page.selectOption('#diff-from', '2');
  await page.selectOption('#diff-to', 'editor');
  await page.waitForSelector('#diff-summary:has-text("the same")');

  await page.click('#view-version-1');
  await page.waitForSelector('#version-text');
  assert.doesNotMatch(await page.textContent('#version-text'), /copied and edited/);
  await page.click('#load-version-1');
  assert.equal(await page.inputValue('#editor-text'), v1, 'version 1 is back in the editor');
  await page.waitForSelector('#diff .diff-removed');
  assert.match(await page.textContent('#diff .diff-removed'), /copied and edited/, 'the editor now differs from version 2');
  await page.waitForSelector('#validation-status:has-text("Valid")');
  assert.deepEqual(problems, []);
});

test('a click on a diagnostic selects its line in the editor and scrolls to it', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/${COPY}/edit`);
  await hydrated(page);
  const text = await page.inputValue('#editor-text');
  // An unknown top-level key far below the fold.
  const padded = `${text.trimEnd()}\n${'# padding\n'.repeat(60)}bogus_key: 1\n`;
  const line = padded.split('\n').indexOf('bogus_key: 1') + 1;
  await page.fill('#editor-text', padded);
  await page.waitForSelector(`#diagnostics li[data-line="${line}"] .diagnostic-jump`);
  await page.evaluate(() => { document.querySelector('#editor-text').scrollTop = 0; });
  await page.click(`#diagnostics li[data-line="${line}"] .diagnostic-jump`);
  const where = await page.evaluate(() => {
    const area = document.querySelector('#editor-text');
    return {
      focused: document.activeElement === area,
      selected: area.value.slice(area.selectionStart, area.selectionEnd),
      before: area.value.slice(0, area.selectionStart).split('\n').length,
      scrollTop: area.scrollTop,
      gutterTop: document.querySelector('.editor-gutter').scrollTop,
      lineTop: (area.value.slice(0, area.selectionStart).split('\n').length - 1) * 20,
      height: area.clientHeight,
    };
  });
  assert.equal(where.focused, true, 'the editor has the focus');
  assert.equal(where.selected, 'bogus_key: 1', 'the whole line is selected');
  assert.equal(where.before, line);
  assert.ok(where.scrollTop > 0, 'it scrolled');
  assert.ok(where.lineTop >= where.scrollTop && where.lineTop < where.scrollTop + where.height, `line ${line} is in view`);
  assert.equal(where.gutterTop, where.scrollTop, 'the line numbers follow');
  await screenshot(page, 'editor-jump-to-line');
  assert.deepEqual(problems, []);
});

test('open a file into the editor: it is validated like typing, with no request', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/new`);
  await hydrated(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const source = await (await fetch(`${BASE}/api/v1/scenarios/basic-market-disruption/definition`)).json();
  const broken = source.definition.replace('exchange-simulator', 'exchange-simulatr');
  const line = broken.split('\n').findIndex((l) => l.includes('exchange-simulatr')) + 1;
  await page.setInputFiles('#editor-upload', { name: 'market.yaml', mimeType: 'text/yaml', buffer: Buffer.from(broken) });
  await page.waitForSelector('#upload-result :text("Opened market.yaml")');
  assert.equal(await page.inputValue('#editor-text'), broken);
  await page.waitForSelector(`#diagnostics li.diagnostic-error[data-line="${line}"]`);
  assert.match(await page.textContent(`#diagnostics li[data-line="${line}"]`), /unknown_service/);
  await screenshot(page, 'editor-uploaded');
  assert.deepEqual(requests.filter((u) => u.includes('/api/')), [], 'validation made no request');
  page.removeAllListeners('request');
  assert.deepEqual(problems, []);
});

test('a template gets a form from its typed parameters and a rendered preview, all in the browser', async () => {
  const { page, problems } = browser;
  await page.goto(`${BASE}/scenarios/market-shock/edit`);
  await hydrated(page);
  await page.waitForSelector('#template-form');
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // One field per declared parameter, of the kind its type calls for.
  assert.equal(await page.getAttribute('#param-shock_percentage', 'type'), 'number');
  assert.equal(await page.getAttribute('#param-shock_percentage', 'min'), '-50');
  assert.equal(await page.getAttribute('#param-shock_percentage', 'max'), '50');
  assert.equal(await page.inputValue('#param-shock_percentage'), '-10', 'the default is shown');
  assert.deepEqual(await page.$$eval('#param-pattern option', (os) => os.map((o) => o.value)), ['sudden', 'gradual']);
  assert.equal(await page.$$eval('#param-symbols input[type=checkbox]', (els) => els.length), 3);
  await page.waitForSelector('#template-status:has-text("renders and validates")');
  assert.match(await page.textContent('#rendered-yaml'), /kind: "Scenario"/);
  assert.match(await page.textContent('#template-form figcaption'), /over 1h25m/);

  await page.fill('#param-shock_percentage', '-80');
  await page.waitForSelector('#template-status:has-text("does not render")');
  assert.match(await page.textContent('#template-diagnostics'), /shock_percentage/);
  await screenshot(page, 'template-form-invalid');
  await page.fill('#param-shock_percentage', '-20');
  await page.fill('#param-shock_duration', '2h');
  await page.selectOption('#param-pattern', 'gradual');
  await page.uncheck('#param-symbols-SOL-USD');
  await page.waitForSelector('#template-status:has-text("renders and validates")');
  await page.waitForFunction(() => /over 2h55m/.test(document.querySelector('#template-form figcaption')?.textContent ?? ''));
  const rendered = await page.textContent('#rendered-yaml');
  assert.match(rendered, /shock_percentage: -20/);
  assert.match(rendered, /pattern: "gradual"/);
  assert.doesNotMatch(rendered, /SOL-USD/);
  await screenshot(page, 'template-form');
  assert.deepEqual(requests.filter((u) => u.includes('/api/')), [], 'rendering made no request');
  page.removeAllListeners('request');

  // The template's own page offers the same form.
  await page.goto(`${BASE}/scenarios/market-shock`);
  await hydrated(page);
  await page.waitForSelector('#template-form #template-status:has-text("renders and validates")');
  assert.deepEqual(problems, []);
});
