// Timelines stay readable on narrow screens (issue 15, point 6): below a
// minimum width the drawing keeps its size and scrolls sideways, its row labels
// staying at the left edge, instead of shrinking its text to 3–4 px: on a phone
// (390 px: the scenario and execution pages) and in the editor's preview panel
// at 1280 px.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE, hydrated, openBrowser, screenshot } from './helpers.mjs';

/** Rendered sizes of the timeline's text, and whether its box scrolls. */
async function inspect(page, scope) {
  return page.evaluate((scope) => {
    const root = document.querySelector(scope);
    const box = root.querySelector('.timeline-scroll');
    const svg = root.querySelector('.timeline-svg');
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    // The rendered font size of every label (not the ✓/✗ glyphs inside the
    // markers): its CSS size in drawing units × the drawing's scale.
    const sizes = [...svg.querySelectorAll('text:not(.tl-mark)')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
    const tick = svg.querySelector('.tl-tick text').getBoundingClientRect();
    return {
      smallestFontPx: Math.min(...sizes),
      tickHeightPx: tick.height,
      scrolls: box.scrollWidth > box.clientWidth + 10,
      pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    };
  }, scope);
}

/** Scrolls the timeline sideways: the row labels stay at its left edge, in view. */
async function labelsStick(page, scope) {
  return page.evaluate(async (scope) => {
    const box = document.querySelector(`${scope} .timeline-scroll`);
    const label = () => document.querySelector(`${scope} .tl-row-actions`).getBoundingClientRect();
    const before = label().left;
    box.scrollLeft = 400;
    await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    const after = label().left;
    const edge = box.getBoundingClientRect().left;
    return { moved: box.scrollLeft, before, after, edge };
  }, scope);
}

function assertReadable(figures, where) {
  assert.ok(figures.smallestFontPx >= 9, `${where}: smallest text ${figures.smallestFontPx.toFixed(1)} px`);
  assert.ok(figures.tickHeightPx >= 9, `${where}: a tick label ${figures.tickHeightPx.toFixed(1)} px high`);
  assert.ok(figures.scrolls, `${where}: the timeline scrolls sideways`);
  assert.ok(figures.pageOverflow <= 0, `${where}: the page itself overflows by ${figures.pageOverflow} px`);
}

test('at 390 px the scenario and execution timelines scroll with sticky row labels', async () => {
  const { context, page, problems } = await openBrowser({ width: 390, height: 844 });
  try {
    await page.goto(`${BASE}/scenarios/stablecoin-depeg-scenario`);
    await hydrated(page);
    assertReadable(await inspect(page, 'main'), 'scenario page');
    const stick = await labelsStick(page, 'main');
    assert.ok(stick.moved > 300, `it scrolled (${stick.moved})`);
    assert.ok(Math.abs(stick.after - stick.before) < 2 && stick.after >= stick.edge - 1, `the row label stays put: ${JSON.stringify(stick)}`);
    await screenshot(page, 'narrow-scenario-timeline');

    const response = await fetch(`${BASE}/api/v1/scenarios/execute`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'volatility-spike', options: { speed: 100000 } }),
    });
    const { execution_id: id } = await response.json();
    await page.goto(`${BASE}/executions/${id}`);
    await hydrated(page);
    await page.waitForSelector('#verdict', { timeout: 60_000 });
    assertReadable(await inspect(page, 'main'), 'execution page');
    await screenshot(page, 'narrow-execution-timeline');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("the editor's timeline preview at 1280 px scrolls instead of shrinking", async () => {
  const { context, page, problems } = await openBrowser({ width: 1280, height: 900 });
  try {
    await page.goto(`${BASE}/scenarios/stablecoin-depeg-scenario/edit`);
    await hydrated(page);
    await page.waitForSelector('.editor-preview .timeline-svg');
    assertReadable(await inspect(page, '.editor-preview'), 'editor preview');
    const stick = await labelsStick(page, '.editor-preview');
    assert.ok(Math.abs(stick.after - stick.before) < 2, `the row label stays put: ${JSON.stringify(stick)}`);
    await screenshot(page, 'editor-preview-timeline');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
