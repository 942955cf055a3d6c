// Time to interactive of `/` on loopback: seven cold loads (a fresh browser
// profile each, so nothing is cached) and seven warm ones (one profile, the
// WASM in its cache), each recording when the DOM became interactive and when
// the WASM had hydrated the page (the shell sets body[data-hydrated]); prints
// the medians. Not part of `make test`: run it
// against a release build (docs/build.md):
//
//   scripts/build-site.sh release && cargo build --release -p server
//   cd end2end && SERVER_BIN=../target/release/test-coordinator SITE_ROOT=../target/site node run.mjs measure/tti.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, openBrowser } from '../tests/helpers.mjs';

const RUNS = 7;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function load(page) {
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => {
    const t = performance.timing;
    const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
    return {
      domInteractive: t.domInteractive - t.navigationStart,
      hydrated: Math.round(window.__hydratedAt),
      wasmTransferBytes: wasm?.transferSize ?? 0,
    };
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

test(`time to interactive of / (median of ${RUNS} cold and ${RUNS} warm loads)`, async () => {
  const cold = [];
  for (let i = 0; i < RUNS; i++) {
    const { context, page, problems } = await openBrowser();
    try {
      await watchHydration(page);
      cold.push(await load(page));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  const warm = [];
  const { context, page, problems } = await openBrowser();
  try {
    await watchHydration(page);
    await load(page); // fills the cache
    for (let i = 0; i < RUNS; i++) warm.push(await load(page));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
  assert.ok(report('cold', cold).hydrated > 0);
  assert.ok(report('warm', warm).hydrated > 0);
});
