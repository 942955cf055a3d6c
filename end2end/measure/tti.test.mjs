// Time to interactive and bytes on the wire of `/` and of the editor
// (`/scenarios/new`), on loopback. Cold loads, seven each, in a running
// Chromium, each in an incognito context of its own: an empty HTTP cache, no
// compiled WASM kept, new connections, as for a visitor's first visit. Then
// seven cold loads that are a new Chromium's first page too (a new browser
// with a new profile: the browser's own start-up costs are in these), and
// seven warm ones (one browser with a profile on disk, the bundle in its
// cache). Each records when the DOM became interactive, when the WASM had
// hydrated the page (app::hydrate sets body[data-hydrated]), and the WASM + JS
// bytes the page fetched (resource timing's transferSize: what crossed the
// wire, compressed). Then seven cold loads of `/` under Chromium's network
// emulation at 10 Mbit/s and 40 ms round trip (DevTools protocol).
// Prints the medians. Not part of `make test`: run it against a release build
// (docs/build.md):
//
//   scripts/build-site.sh release && cargo build --release -p server
//   cd end2end && SERVER_BIN=../target/release/test-coordinator SITE_ROOT=../target/site node run.mjs measure/tti.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, launchBrowser, openBrowser, openContext } from '../tests/helpers.mjs';

const RUNS = 7;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** The pages measured. */
const PAGES = ['/', '/scenarios/new'];

async function load(page, path) {
  await page.goto(`${BASE}${path}`);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  return page.evaluate(() => {
    const t = performance.timing;
    const bundle = performance.getEntriesByType('resource').filter((e) => /\.(wasm|js)(\?|$)/.test(e.name));
    return {
      domInteractive: t.domInteractive - t.navigationStart,
      hydrated: Math.round(window.__hydratedAt),
      wasmJsTransferBytes: bundle.reduce((sum, e) => sum + e.transferSize, 0),
    };
  });
}

/** 10 Mbit/s down and up, 40 ms round trip, through the DevTools protocol. */
async function throttle(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 40,
    downloadThroughput: (10 * 1000 * 1000) / 8,
    uploadThroughput: (10 * 1000 * 1000) / 8,
  });
}

async function watchHydration(page) {
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
}

function report(label, samples) {
  const summary = Object.fromEntries(Object.keys(samples[0]).map((k) => [k, median(samples.map((s) => s[k]))]));
  console.log(`${label} samples: ${JSON.stringify(samples)}`);
  console.log(`${label} median of ${RUNS}: ${JSON.stringify(summary)}`);
  return summary;
}

let browser;

before(async () => {
  browser = await launchBrowser();
  // The browser's own first start-up (its network service, the first
  // renderer) is not part of a page's cold load: one load of something else first.
  const { context, page } = await openContext(browser);
  await page.goto(`${BASE}/health`);
  await context.close();
});

after(async () => {
  await browser?.close();
});

/** Seven cold loads of `path`, each in a fresh incognito context (`freshBrowser`: each in a new browser instead). */
async function cold(path, { throttled = false, freshBrowser = false } = {}) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const { context, page, problems } = freshBrowser ? await openBrowser() : await openContext(browser);
    try {
      await watchHydration(page);
      if (throttled) await throttle(context, page);
      samples.push(await load(page, path));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  return samples;
}

/** Seven loads of `path` after a first one, in a browser with a profile on disk (its caches keep compiled WASM). */
async function warm(path) {
  const samples = [];
  const { context, page, problems } = await openBrowser();
  try {
    await watchHydration(page);
    await load(page, path); // fills the cache
    for (let i = 0; i < RUNS; i++) samples.push(await load(page, path));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
  return samples;
}

for (const path of PAGES) {
  test(`time to interactive and bytes of ${path} (median of ${RUNS} cold and ${RUNS} warm loads)`, async () => {
    assert.ok(report(`${path} cold`, await cold(path)).hydrated > 0);
    assert.ok(report(`${path} cold, a new browser's first page`, await cold(path, { freshBrowser: true })).hydrated > 0);
    assert.ok(report(`${path} warm`, await warm(path)).hydrated > 0);
  });
}

test(`/ cold at 10 Mbit/s and 40 ms (median of ${RUNS})`, async () => {
  assert.ok(report('/ cold, 10 Mbit/s 40 ms', await cold('/', { throttled: true })).hydrated > 0);
});
