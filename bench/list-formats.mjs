/**
 * List formats side by side: the same names written as a hradba, plain, wildcard, hosts, AdBlock and RPZ list,
 * each loaded into a policy (read, parse, compile) in a fresh Node process; time and memory per format, and
 * their ratio to the plain reader's. Used by bench/bench.mjs (its "List formats" section) and on its own:
 *
 *   node bench/list-formats.mjs [--names 48719] [--rounds 3] [--dist dist]   (--dist: another build, to compare)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { listNames } from './names.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const META = { id: 'bench', vendor: 'bench', basis: [{ authority: 'Bench', date: '2026', title: 'Bench', url: 'https://example.org/' }] };

/** One line per name, in each format's own shape. */
const FORMATS = {
  plain: { cfg: { format: 'plain', ...META }, text: (names) => names.join('\n') },
  hradba: {
    cfg: {},
    text: (names) => ['#@hradba-list 1', '#@id: bench', '#@vendor: bench', '#@basis: Bench | 2026 | Bench | https://example.org/', ...names, `#@end: ${names.length}`].join('\n'),
  },
  wildcard: { cfg: { format: 'wildcard', ...META }, text: (names) => names.map((n) => `*.${n}`).join('\n') },
  hosts: { cfg: { format: 'hosts', ...META }, text: (names) => names.map((n) => `0.0.0.0 ${n}`).join('\n') },
  adblock: { cfg: { format: 'adblock', ...META }, text: (names) => ['[Adblock Plus 2.0]', '! Title: bench', ...names.map((n) => `||${n}^`)].join('\n') },
  rpz: {
    cfg: { format: 'rpz', ...META },
    text: (names) => ['$TTL 60', '@ IN SOA localhost. root.localhost. 1 3600 600 86400 60', '  IN NS localhost.', ...names.map((n) => `${n} CNAME .`)].join('\n'),
  },
};

/** The child: load one list into a policy, report wall time and memory. */
const CHILD = (policyUrl) => `
import { buildPolicy } from ${JSON.stringify(policyUrl)};
const cfg = JSON.parse(process.argv[1]);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const policy = await buildPolicy([cfg], 0, 1);
const cpu = process.cpuUsage(c0);
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
// CPU time, not wall time: on a shared machine the wall clock measures the neighbours too.
const ms = (cpu.user + cpu.system) / 1000;
const m = process.memoryUsage();
const { readFileSync } = await import('node:fs');
const peak = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
console.log(JSON.stringify({ ms, wallMs, rssMiB: m.rss / 2 ** 20, peakMiB: peak, heapMiB: m.heapUsed / 2 ** 20, entries: policy.entryCount }));
`;

/** loadOnce runs the child for one list file, bounded to two minutes. */
function loadOnce(cfg, dist) {
  const script = CHILD(pathToFileURL(join(dist, 'policy', 'policy.js')).href);
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--input-type=module', '-e', script, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`loading ${cfg.file} failed (${code}): ${err}`));
    });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** benchListFormats measures every format for `count` names; returns the markdown section (a table and a note). */
export async function benchListFormats({ count = 48_719, rounds = 3, dist = join(ROOT, 'dist'), say = () => {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hradba-formats-'));
  try {
    const names = listNames(count, 7);
    const rows = [];
    const files = {};
    for (const [format, { text }] of Object.entries(FORMATS)) {
      files[format] = join(dir, `${format}.txt`);
      writeFileSync(files[format], `${text(names)}\n`);
    }
    // Rounds go across the formats, so a busy moment of the machine falls on all of them alike.
    const runsOf = Object.fromEntries(Object.keys(FORMATS).map((f) => [f, []]));
    for (let i = 0; i < rounds; i++) {
      for (const [format, { cfg }] of Object.entries(FORMATS)) {
        // A build that does not read a format (an older one, compared with --dist) gets n/a in its row.
        runsOf[format].push(await loadOnce({ file: files[format], enabled: true, ...cfg }, dist).catch(() => null));
      }
    }
    for (const format of Object.keys(FORMATS)) {
      const runs = runsOf[format].filter((r) => r !== null);
      if (runs.length === 0) {
        rows.push({ format, failed: true });
        continue;
      }
      const row = { format, ms: median(runs.map((r) => r.ms)), wallMs: median(runs.map((r) => r.wallMs)), peakMiB: median(runs.map((r) => r.peakMiB)), heapMiB: median(runs.map((r) => r.heapMiB)), entries: runs[0].entries };
      say(`  ${format}: ${row.ms.toFixed(0)} ms, peak RSS ${row.peakMiB.toFixed(0)} MiB, ${row.entries} entries`);
      rows.push(row);
    }
    const plain = rows.find((r) => r.format === 'plain');
    const lines = [
      `## List formats: ${count.toLocaleString('en-US')} names loaded into a policy`,
      '',
      `Each format holds the same names, one a line; each list is read, parsed and compiled (buildPolicy) in a fresh Node process, median of ${rounds}. Load is CPU time (user + system; wall time beside it, which includes whatever else the machine runs). Peak RSS is the process's high-water mark (VmHWM), Node's own ~45 MiB included.`,
      '',
      '| format | load CPU ms | × plain | wall ms | peak RSS MiB | × plain | heap MiB | entries |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => r.failed ? `| ${r.format} | n/a (not read) | | | | | | |` : `| ${r.format} | ${r.ms.toFixed(0)} | ${(r.ms / plain.ms).toFixed(2)} | ${r.wallMs.toFixed(0)} | ${r.peakMiB.toFixed(0)} | ${(r.peakMiB / plain.peakMiB).toFixed(2)} | ${r.heapMiB.toFixed(0)} | ${r.entries} |`),
      '',
    ];
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { names: { type: 'string', default: '48719' }, rounds: { type: 'string', default: '3' }, dist: { type: 'string', default: join(ROOT, 'dist') } } });
  const text = await benchListFormats({
    count: Number(values.names),
    rounds: Math.max(1, Math.min(9, Number(values.rounds))),
    dist: values.dist,
    say: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(`${text}\n`);
}
