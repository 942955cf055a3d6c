// Starts a fresh coordinator (free port, temporary database, the dev site) and
// runs every browser test against it with node's test runner, then stops it.
//
//   node run.mjs            uses ../target/debug/test-coordinator and ../target/site-dev
//   node run.mjs tests/editor.test.mjs …   runs only these files
//   SERVER_BIN=… SITE_ROOT=… node run.mjs
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCoordinator } from './coordinator.mjs';

const here = dirname(fileURLToPath(import.meta.url));

let code = 1;
let coordinator;
try {
  // The sandbox ecosystem starts with the server, on free ports of its own.
  coordinator = await startCoordinator();
  const chosen = process.argv.slice(2);
  const files = chosen.length > 0
    ? chosen
    : readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.test.mjs')).map((f) => join('tests', f));
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    cwd: here,
    env: { ...process.env, ...coordinator.serviceUrls, BASE_URL: coordinator.base },
    stdio: 'inherit',
  });
  code = await new Promise((ok) => runner.on('exit', (c) => ok(c ?? 1)));
} catch (error) {
  console.error(`end2end: ${error.message}`);
} finally {
  await coordinator?.stop();
}
process.exit(code);
