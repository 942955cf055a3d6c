// Shared set-up for browser tests: Debian's Chromium through playwright-core,
// with every console error, page error and failed response recorded.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8084';
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');

/** How every test starts Debian's Chromium (its network is closed here: no background traffic). */
const LAUNCH = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** Records every console error, page error and failed response of the context's pages in `problems`. */
function watchProblems(context, problems) {
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
    // A request the page abandons because it navigates away (a live link's
    // last fetch as the test opens the next page) ends `net::ERR_ABORTED`:
    // the browser's doing, not the server's. Every other failure counts.
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText;
      if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${why}`);
    });
  };
  context.on('page', watch);
  return watch;
}

/** A new Chromium with a profile of its own, and its first page. */
export async function openBrowser({ width = 1280, height = 800 } = {}) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tc-chromium-')), {
    ...LAUNCH,
    viewport: { width, height },
  });
  const problems = [];
  const watch = watchProblems(context, problems);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return { context, page, problems };
}

/** A running Chromium whose `newContext` gives each caller an empty cache of its own (incognito). */
export async function launchBrowser() {
  return chromium.launch(LAUNCH);
}

/** A new incognito context of a running browser (`launchBrowser`), and its first page. */
export async function openContext(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const problems = [];
  watchProblems(context, problems);
  const page = await context.newPage();
  return { context, page, problems };
}

/** Waits until the WASM has hydrated the whole page, lazy page included (app::hydrate sets this attribute). */
export async function hydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The lowest contrast ratio of visible text on the page against its nearest opaque background. */
export function lowestContrast() {
  const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] === 1)) return c;
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor);
  };
  let worst = { ratio: 99 };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, .visually-hidden, [hidden], .code, option')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || Number(style.opacity) < 1 || el.closest('button:disabled')) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: el.textContent.trim().slice(0, 40), tag: el.tagName, cls: el.className };
  }
  return worst;
}

/** A server-rendered page's HTML without Leptos's empty hydration markers
 * (`<!>`), which a reader never sees and type-erased views put after text. */
export const withoutMarkers = (html) => html.replaceAll('<!>', '');
