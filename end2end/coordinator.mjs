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

async function waitForHealth(base, server, stderrTail, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      // Let the last of its standard error arrive, and say what it said.
      await new Promise((r) => setTimeout(r, 100));
      const error = new Error(`server exited early with code ${server.exitCode}:\n${stderrTail()}`);
      error.exitedEarly = true;
      throw error;
    }
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
export async function startCoordinator(options = {}) {
  // The ports are free when chosen, but another process (a browser, a
  // sandbox's client) may take one before the server binds it: a server that
  // exits at start says why, and is tried again on new ports, twice at most.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!error.exitedEarly || attempt === 3) throw error;
      console.error(`end2end: attempt ${attempt} to start a coordinator failed, trying new ports: ${error.message}`);
    }
  }
}

async function startOnce({ env = {}, onStderr } = {}) {
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
    stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', 'pipe'],
  });
  // Read all of it (a full pipe would stall the server): to `onStderr` or
  // this process's, and the last few kilobytes kept to explain an early exit.
  let tail = '';
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (text) => {
    tail = (tail + text).slice(-4096);
    if (onStderr) onStderr(text);
    else process.stderr.write(text);
  });
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((ok) => (server.exitCode !== null ? ok() : server.on('exit', ok)));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(base, server, () => tail);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, serviceUrls, stop };
}
