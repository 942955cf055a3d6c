// Starts a coordinator for the browser tests: a free port, a temporary
// database, the dev site and a sandbox on free ports of its own; `stop()` ends
// it and removes the database. run.mjs starts the one every test shares (local
// mode); a test that needs another mode starts its own (tests/teams.test.mjs).
//
//   SERVER_BIN and SITE_ROOT choose the binary and the site (relative paths
//   are taken from this folder); TEST_LOG=1 shows the server's log.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const serverBin = resolve(here, process.env.SERVER_BIN ?? '../target/debug/test-coordinator');
const siteRoot = resolve(here, process.env.SITE_ROOT ?? '../target/site-dev');
const SANDBOX_SERVICES = ['EXCHANGE_SIMULATOR', 'CUSTODIAN_SIMULATOR', 'MARKET_DATA_SIMULATOR', 'TRADING_ENGINE', 'RISK_MONITOR', 'AUDIT_CORRELATOR'];

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
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

/**
 * Starts `test-coordinator serve` and waits until it answers `/health`.
 * `env` is added to its environment; `onStderr(text)`, when given, receives
 * its standard error (else it is this process's).
 * Returns `{ base, serviceUrls, stop }`; `serviceUrls` are the sandbox's
 * `*_URL` variables.
 */
export async function startCoordinator({ env = {}, onStderr } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tc-e2e-'));
  const port = await freePort();
  const serviceUrls = {};
  for (const name of SANDBOX_SERVICES) serviceUrls[`${name}_URL`] = `http://127.0.0.1:${await freePort()}`;
  // The default proxy fronts this sandbox's market data, from a port of its own;
  // its chaos API too.
  serviceUrls.MARKET_DATA_PROXY_URL = serviceUrls.MARKET_DATA_SIMULATOR_URL;
  const proxyPorts = {
    MARKET_DATA_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TEST_COORDINATOR_PROXY_ADMIN: `127.0.0.1:${await freePort()}`,
  };
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(serverBin, ['serve', '--port', String(port), '--database', join(dataDir, 'e2e.db')], {
    cwd: resolve(here, '..'),
    env: {
      ...process.env,
      ...serviceUrls,
      ...proxyPorts,
      LEPTOS_SITE_ROOT: siteRoot,
      TEST_COORDINATOR_LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'warn',
      ...env,
    },
    stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', onStderr ? 'pipe' : 'inherit'],
  });
  if (onStderr) {
    // Read all of it: a full pipe would stall the server.
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', onStderr);
  }
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((ok) => (server.exitCode !== null ? ok() : server.on('exit', ok)));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(base, server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, serviceUrls, stop };
}
