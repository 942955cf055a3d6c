// The browser code is split at the lazy routes (docs/build.md, "Splitting the
// browser code"): `/` downloads the main module only, the library its group's
// chunks, and the editor its own; the parser, validator, template form and
// diff are in no file that `/` or the library downloads, nor the sign-in page
// or the dashboard's "Run a scenario" dialog in the main module; the dialog's
// chunks come when it is first opened; and the editor then validates in the
// browser with no request of any kind.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, hydrated, openBrowser } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.context.close(); });

const fileName = (url) => new URL(url).pathname.split('/').pop();

// Symbols of the editors' code, as rustc mangles them: the browser tests run
// the debug site, whose modules keep their function names (wasm-bindgen
// runs with --no-demangle, and the splitter keeps the name section).
const EDITOR_CODE = ['3app8scenario8validate', '3app8scenario5parse', '13template_form', '10components4diff'];

// The sign-in page's own module, in a group of its own.
const SIGN_IN_CODE = '5pages7sign_in';

// The dashboard's "Run a scenario" dialog (its search), a lazy function of its own.
const PICKER_CODE = '15scenario_picker7matches';

async function codeIn(pkg, files, symbols = EDITOR_CODE) {
  const found = new Set();
  for (const file of files) {
    const text = Buffer.from(await (await fetch(`${pkg}/${file}`)).arrayBuffer()).toString('latin1');
    for (const symbol of symbols) if (text.includes(symbol)) found.add(symbol);
  }
  return [...found].sort();
}

test('/ loads no page chunk; the editor loads its own chunks and validates with no server round trip', async () => {
  const { page, problems } = browser;
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });

  await page.goto(`${BASE}/`);
  await hydrated(page);
  assert.equal(wasm.length, 1, `/ fetched one WASM module: ${wasm}`);
  assert.equal(fileName(wasm[0]), 'test-coordinator_bg.wasm');
  const pkg = wasm[0].slice(0, wasm[0].lastIndexOf('/'));
  const manifest = await (await fetch(`${pkg}/__wasm_split_manifest.json`)).json();
  const groups = Object.keys(manifest).map((key) => key.replace(/_\d+$/, '')).sort();
  assert.deepEqual(groups, ['editor_page', 'other_page', 'picker_dialog', 'scenario_page', 'sign_in_page']);
  const chunksOf = (group) => manifest[Object.keys(manifest).find((k) => k.startsWith(`${group}_`))].map((c) => `${c}.wasm`);
  const editorChunks = chunksOf('editor_page');
  const otherChunks = chunksOf('other_page');

  assert.deepEqual(await codeIn(pkg, ['test-coordinator_bg.wasm', ...otherChunks]), [],
    'neither the main module nor the other pages hold the editors\' code');
  assert.deepEqual(await codeIn(pkg, editorChunks), [...EDITOR_CODE].sort(), 'the editors\' chunks hold it');
  const signIn = await codeIn(pkg, ['test-coordinator_bg.wasm'], [SIGN_IN_CODE]);
  assert.deepEqual(signIn, [], 'the main module holds none of the sign-in page');
  assert.deepEqual(await codeIn(pkg, chunksOf('sign_in_page'), [SIGN_IN_CODE]), [SIGN_IN_CODE], 'its own chunks do');
  assert.deepEqual(await codeIn(pkg, ['test-coordinator_bg.wasm'], [PICKER_CODE]), [], 'the main module holds none of the picker\'s dialog');
  const pickerChunks = chunksOf('picker_dialog');
  assert.deepEqual(await codeIn(pkg, pickerChunks, [PICKER_CODE]), [PICKER_CODE], 'its own chunks do');

  // The library, navigated to in the browser, loads exactly its group's chunks.
  wasm.length = 0;
  await page.click('nav a[href="/scenarios"]');
  await page.waitForSelector('#library-search');
  assert.deepEqual(wasm.map(fileName).sort(), [...otherChunks].sort());

  wasm.length = 0;
  await page.goto(`${BASE}/scenarios/new`);
  await hydrated(page);
  const fetched = wasm.map(fileName);
  for (const chunk of editorChunks) assert.ok(fetched.includes(chunk), `the editor fetched ${chunk}`);
  assert.ok(!fetched.some((c) => otherChunks.includes(c) && !editorChunks.includes(c)), `the editor fetched no other group's chunk: ${fetched}`);

  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.fill('#editor-text', 'name: "split-check"\ndescription: "x"\nphases:\n  - name: "one"\n    duration: "10 parsecs"\n');
  await page.waitForSelector('#diagnostics li.diagnostic-error', { timeout: 5_000 });
  assert.match(await page.textContent('#validation-status'), /error/);
  assert.deepEqual(requests, [], 'validating made no request at all');

  // The dashboard's dialog fetches its group's chunks when it is first opened.
  await page.goto(`${BASE}/`);
  await hydrated(page);
  wasm.length = 0;
  await page.click('#run-a-scenario');
  await page.waitForSelector('#picker-dialog #picker-search');
  assert.deepEqual([...new Set(wasm.map(fileName))].sort(), [...pickerChunks].sort());
  assert.deepEqual(problems, []);
});
