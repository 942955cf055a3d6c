// Runs measure/live.test.mjs against two builds, one after the other in the same
// session, and prints their figures side by side.
//
//   cd end2end && node measure/live-compare.mjs OLD_BIN OLD_SITE NEW_BIN NEW_SITE
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [oldBin, oldSite, newBin, newSite] = process.argv.slice(2);
if (!newSite) {
  console.error('usage: node measure/live-compare.mjs OLD_BIN OLD_SITE NEW_BIN NEW_SITE');
  process.exit(2);
}

function run(label, bin, site) {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['run.mjs', 'measure/live.test.mjs'], {
      cwd: here,
      env: { ...process.env, SERVER_BIN: resolve(bin), SITE_ROOT: resolve(site), LIVE_LABEL: label },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rows = [];
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        const at = line.indexOf('LIVE {');
        if (at >= 0) rows.push(JSON.parse(line.slice(at + 5)));
        else if (/^\s*(not ok|error:)/.test(line)) console.error(`${label}: ${line.trim()}`);
      }
    });
    child.on('exit', () => ok(rows));
  });
}

const rows = [...(await run('old', oldBin, oldSite)), ...(await run('new', newBin, newSite))];
const cols = ['build', 'run', 'width', 'events', 'serverSeconds', 'verdict', 'verdictAfterFinishedMs', 'longTasksAfterPaint', 'longTasksAfterHydration', 'heapMaxMB', 'slowestAnswerMs', 'logRowsMax'];
const cell = (v) => (v && typeof v === 'object' ? `${v.count} (worst ${v.worstMs} ms)` : String(v));
console.log(`| ${cols.join(' | ')} |`);
console.log(`|${cols.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${cols.map((c) => cell(row[c])).join(' | ')} |`);
