// Starts a fresh coordinator (free port, temporary database, the dev site) and
// runs every browser test against it with node's test runner, then stops it.
//
//   node run.mjs            uses ../target/debug/test-coordinator and ../target/site-dev
//   node run.mjs tests/editor.test.mjs …   runs only these files
//   SERVER_BIN=… SITE_ROOT=… node run.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const serverBin = process.env.SERVER_BIN ?? join(root, 'target/debug/test-coordinator');
const siteRoot = process.env.SITE_ROOT ?? join(root, 'target/site-dev');

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function waitForHealth(base, server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited early with code ${server.exitCode}`);
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer ${base}/health within ${timeoutMs} ms`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'tc-e2e-'));
const port = await freePort();
// The sandbox ecosystem starts with the server, on free ports of its own.
const sandboxServices = ['EXCHANGE_SIMULATOR', 'CUSTODIAN_SIMULATOR', 'MARKET_DATA_SIMULATOR', 'TRADING_ENGINE', 'RISK_MONITOR', 'AUDIT_CORRELATOR'];
const serviceUrls = {};
for (const name of sandboxServices) serviceUrls[`${name}_URL`] = `http://127.0.0.1:${await freePort()}`;
const base = `http://127.0.0.1:${port}`;
const server = spawn(serverBin, ['serve', '--port', String(port), '--database', join(dataDir, 'e2e.db')], {
  cwd: root,
  env: { ...process.env, ...serviceUrls, LEPTOS_SITE_ROOT: siteRoot, TEST_COORDINATOR_LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'warn' },
  stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', 'inherit'],
});

let code = 1;
try {
  await waitForHealth(base, server);
  const chosen = process.argv.slice(2);
  const files = chosen.length > 0
    ? chosen
    : readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.test.mjs')).map((f) => join('tests', f));
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    cwd: here,
    env: { ...process.env, ...serviceUrls, BASE_URL: base },
    stdio: 'inherit',
  });
  code = await new Promise((ok) => runner.on('exit', (c) => ok(c ?? 1)));
} catch (error) {
  console.error(`end2end: ${error.message}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((ok) => (server.exitCode !== null ? ok() : server.on('exit', ok)));
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
