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
// emulation at 10 Mbit/s and 40 ms round trip (DevTools protocol). Last, the
// floor under a cold `/`: the same page through a pass-through proxy as it is,
// without its one call that hydrates, and without any script, in alternation
// (docs/build.md).
// Prints the medians. Not part of `make test`: run it against a release build
// (docs/build.md):
//
//   scripts/build-site.sh release && cargo build --release -p server
//   cd end2end && SERVER_BIN=../target/release/test-coordinator SITE_ROOT=../target/site node run.mjs measure/tti.test.mjs
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { after, before, test } from 'node:test';
import { BASE, launchBrowser, openBrowser, openContext } from '../tests/helpers.mjs';

const RUNS = 7;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** The pages measured. */
const PAGES = ['/', '/scenarios/new'];

async function load(page, path, base = BASE) {
  await page.goto(`${base}${path}`);
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

/** A load of a page without scripts: when its DOM became interactive and when it first painted. */
async function loadStatic(page, path, base) {
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 60_000 });
  return page.evaluate(() => ({
    domInteractive: performance.timing.domInteractive - performance.timing.navigationStart,
    firstContentfulPaint: Math.round(performance.getEntriesByName('first-contentful-paint')[0].startTime),
  }));
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

/** One cold load of `path` from `base` in a fresh incognito context (`freshBrowser`: in a new browser instead). */
async function coldLoad(path, { throttled = false, freshBrowser = false, base = BASE, scripts = true } = {}) {
  const { context, page, problems } = freshBrowser ? await openBrowser() : await openContext(browser);
  try {
    await watchHydration(page);
    if (throttled) await throttle(context, page);
    const sample = scripts ? await load(page, path, base) : await loadStatic(page, path, base);
    assert.deepEqual(problems, []);
    return sample;
  } finally {
    await context.close();
  }
}

/** Seven cold loads of `path`. */
async function cold(path, options = {}) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await coldLoad(path, options));
  return samples;
}

/**
 * A pass-through proxy in front of the coordinator, on a free loopback port.
 * It asks for the page uncompressed, reads it whole and passes it on with the
 * coordinator's headers (its CSP and nonce, its COOP); everything else goes
 * through as it comes, its origin made the coordinator's. `page` says what the
 * page becomes on the way:
 * - `whole`: nothing changes;
 * - `unhydrated`: the page's one call of the WASM's `hydrate` (in Leptos's
 *   hydration script) is replaced by marking the body hydrated, so a load
 *   measures all that comes before any hydration: the page, the stylesheet,
 *   and the WASM's download, compile and instantiation;
 * - `static`: every script and every preload is taken out, so a load measures
 *   the browser's own work for this page: commit, parse, style, layout, paint
 *   (a lower bound: the streamed fragments stay in their `<template>`s, with
 *   no script to move them into place).
 */
async function startProxy(page) {
  const upstream = new URL(BASE);
  const server = createServer((incoming, outgoing) => {
    const isPage = incoming.url === '/';
    // The coordinator refuses a cross-origin script or fetch: the proxy's
    // requests come from the coordinator's own origin.
    const headers = { ...incoming.headers, host: upstream.host };
    if (headers.origin) headers.origin = upstream.origin;
    if (headers.referer) headers.referer = `${upstream.origin}/`;
    if (isPage) headers['accept-encoding'] = 'identity';
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers },
      (answer) => {
        if (!isPage) {
          outgoing.writeHead(answer.statusCode, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks = [];
        answer.on('data', (chunk) => chunks.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(chunks).toString('utf8');
          if (page === 'unhydrated') {
            const unhydrated = body.replace('mod.hydrate();', 'document.body.setAttribute("data-hydrated", "true");');
            // A Leptos whose script reads otherwise: fail the load, not measure the whole.
            if (unhydrated === body) {
              outgoing.writeHead(500).end('the page has no `mod.hydrate();` to leave out');
              return;
            }
            body = unhydrated;
          } else if (page === 'static') {
            body = body.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '').replace(/<link rel="(?:modulepreload|preload)"[^>]*>/g, '');
          }
          const { 'transfer-encoding': _, ...kept } = answer.headers;
          outgoing.writeHead(answer.statusCode, { ...kept, 'content-length': Buffer.byteLength(body) });
          outgoing.end(body);
        });
      },
    );
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forward);
  });
  await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((closed) => { server.closeAllConnections(); server.close(closed); }),
  };
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

test(`/ cold through a pass-through proxy: whole, unhydrated, static (median of ${RUNS} each, in alternation)`, async () => {
  const proxies = { whole: await startProxy('whole'), unhydrated: await startProxy('unhydrated'), static: await startProxy('static') };
  try {
    const samples = { whole: [], unhydrated: [], static: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const [kind, proxy] of Object.entries(proxies)) {
        samples[kind].push(await coldLoad('/', { base: proxy.base, scripts: kind !== 'static' }));
      }
    }
    const whole = report('/ cold through the proxy', samples.whole);
    const unhydrated = report('/ cold through the proxy, unhydrated (page, stylesheet, WASM download, compile, instantiation)', samples.unhydrated);
    report('/ cold through the proxy, static (no script, no preload)', samples.static);
    assert.equal(unhydrated.wasmJsTransferBytes, whole.wasmJsTransferBytes, 'both fetch the same WASM and JS');
    console.log(`/ cold: the hydration's own share ${whole.hydrated - unhydrated.hydrated} ms of ${whole.hydrated} ms`);
  } finally {
    for (const proxy of Object.values(proxies)) await proxy.close();
  }
});
