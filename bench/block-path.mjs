/**
 * The block path at the Node limit (`npm run bench -- --block-path`): four servers on the largest list, each pinned
 * to CPU 0 with dnsperf on CPU 1, answering the sinkholed query stream. Sinkholed answers per CPU-second of the
 * server process, and the p99 at 5,000 q/s: the bare responder, the same responder writing hradba's sinkhole line,
 * hradba with its block log off (log.level warn), and hradba as shipped. The ratios separate the line's cost from
 * the path's.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { waitFor } from './dns-client.mjs';
import { summariseProfile } from './profile.mjs';
import { KINDS, ROOT, freePort, stopProcess } from './servers.mjs';

/** The four rows, in the order of the table. */
const ROWS = [
  { key: 'bare', label: 'bare node:dgram responder (Set, NXDOMAIN)' },
  { key: 'logging', label: 'the same, writing hradba\'s sinkhole line (template string, one WriteStream write per block)' },
  { key: 'hradba-off', label: 'hradba, block log off (log.level warn)' },
  { key: 'hradba', label: 'hradba as shipped (block log on, to a file)' },
];

function start(key, dir, port, nsdPort) {
  if (key === 'bare') return KINDS['node-limit'].start(dir, port, nsdPort);
  if (key === 'hradba') return KINDS.hradba.start(dir, port, nsdPort);
  if (key === 'hradba-off') return KINDS.hradba.start(dir, port, nsdPort, { logLevel: 'warn' });
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'node-limit-log.mjs'), String(port), join(dir, 'list.txt'), join(dir, 'responder.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c.toString()).slice(-20000)));
  child.stderr.on('data', (c) => (output = (output + c.toString()).slice(-20000)));
  return { child, output: () => output };
}

/** CPU seconds (user + system, every thread) the process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** pin moves every thread of `pid` to one CPU; false when taskset is missing or there is one CPU. */
function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * blockPathSection measures the four rows on `list` with the sinkholed query file and returns the markdown section.
 * `dnsperf(port, file, {seconds, qps, verbose})` is the bench's own runner; children inherit this process's CPU.
 */
export async function blockPathSection({ list, sinkFile, nsdPort, dnsperf, rounds, duration, work, say, profile = false }) {
  const pinned = pin(process.pid, 1);
  const results = {};
  const running = [];
  try {
    // All four run at once and every round visits each in turn: on a shared machine the load drifts, and rows
    // measured minutes apart would compare different machines. Each round's ratios are taken within the round.
    for (const row of ROWS) {
      const dir = join(work, `block-path-${row.key}-${Date.now()}`);
      mkdirSync(dir, { recursive: true });
      KINDS['node-limit'].write(dir, list);
      const port = await freePort();
      const proc = start(row.key, dir, port, nsdPort);
      running.push(proc);
      const alive = () => proc.child.exitCode === null && proc.child.signalCode === null;
      const ready = await waitFor(port, list[0], (rc) => rc === 'NXDOMAIN', 120_000, alive);
      if (ready === null) throw new Error(`${row.key} did not serve the list:\n${proc.output()}`);
      if (pinned) pin(proc.child.pid, 0);
      results[row.key] = { port, pid: proc.child.pid, runs: [] };
    }
    await new Promise((r) => setTimeout(r, 500));
    const ratios = [];
    for (let i = 0; i < rounds; i++) {
      const round = {};
      for (const row of ROWS) {
        const r = results[row.key];
        const cpu0 = cpuSeconds(r.pid);
        const run = await dnsperf(r.port, sinkFile, { seconds: duration });
        const cpu = cpuSeconds(r.pid) - cpu0;
        const answered = (run.sent ?? 0) - (run.lost ?? 0);
        round[row.key] = cpu > 0 ? answered / cpu : null;
        r.runs.push({ qps: run.qps, perCpu: round[row.key] });
      }
      ratios.push({ on: round.hradba / round.logging, off: round['hradba-off'] / round.bare });
      say(`  block path round ${i + 1}: ${ROWS.map((row) => `${row.key} ${Math.round(round[row.key] ?? 0)}`).join(', ')} per CPU-s`);
    }
    for (const row of ROWS) {
      const r = results[row.key];
      const byCpu = [...r.runs].sort((a, b) => (a.perCpu ?? 0) - (b.perCpu ?? 0));
      const lat = await dnsperf(r.port, sinkFile, { seconds: Math.min(duration, 5), qps: 5000, verbose: true });
      Object.assign(r, { perCpu: byCpu[Math.floor(byCpu.length / 2)].perCpu, qps: byCpu[Math.floor(byCpu.length / 2)].qps, p50: lat.p50, p99: lat.p99 });
    }
    const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    results.ratioOn = mid(ratios.map((x) => x.on));
    results.ratioOff = mid(ratios.map((x) => x.off));
  } finally {
    for (const proc of running) await stopProcess(proc.child);
  }
  try {
    if (profile) {
      // The path alone (block log off) first, then as shipped: the two profiles part the path's cost from the line's.
      const off = await profileHradba({ list, sinkFile, nsdPort, dnsperf, seconds: rounds * duration, work, pinned, logLevel: 'warn' });
      const on = await profileHradba({ list, sinkFile, nsdPort, dnsperf, seconds: rounds * duration, work, pinned, logLevel: 'info' });
      results.profile = ['##### Block log off (log.level warn)', '', off, '', '##### Block log on (as shipped)', '', on].join('\n');
    }
  } finally {
    if (pinned) pin(process.pid, '0-1');
  }
  const f0 = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
  const f2 = (v) => (v === null || v === undefined ? '–' : v.toFixed(2));
  const r = results;
  const lines = [
    `### The block path at the Node limit (${list.length.toLocaleString('en-US')} names, sinkholed stream)`,
    '',
    `Servers pinned to CPU 0${pinned ? '' : ' (taskset missing: not pinned)'}, dnsperf on CPU 1; all four running, each round visits each in turn; ${rounds} round(s) of ${duration} s, per server the round with the median rate per CPU-second.`,
    '',
    '| server | sinkholed per CPU-s | sinkholed q/s | p50 / p99 ms @5k q/s |',
    '|---|---:|---:|---:|',
    ...ROWS.map((row) => `| ${row.label} | ${f0(r[row.key].perCpu)} | ${f0(r[row.key].qps)} | ${f2(r[row.key].p50)} / ${f2(r[row.key].p99)} |`),
    '',
    `Median of the per-round ratios: hradba log on ÷ logging responder ${(r.ratioOn * 100).toFixed(0)}% (target ≥ 85%); hradba log off ÷ bare responder ${(r.ratioOff * 100).toFixed(0)}% (target ≥ 85%); ` +
      `p99 hradba − logging responder: ${r.hradba.p99 !== null && r.logging.p99 !== null ? `${(r.hradba.p99 - r.logging.p99).toFixed(2)} ms` : '–'} (target ≤ 0.20 ms).`,
    '',
    ...(results.profile ? ['#### hradba under --cpu-prof on the sinkholed stream (not in the table)', '', results.profile, ''] : []),
  ];
  return lines.join('\n');
}

/** profileHradba runs hradba (at `logLevel`) under --cpu-prof on the sinkholed stream alone and summarises its serving thread. */
async function profileHradba({ list, sinkFile, nsdPort, dnsperf, seconds, work, pinned, logLevel }) {
  const dir = join(work, `block-path-prof-${Date.now()}`);
  const profDir = join(dir, 'prof');
  mkdirSync(profDir, { recursive: true });
  KINDS['node-limit'].write(dir, list);
  const port = await freePort();
  const proc = KINDS.hradba.start(dir, port, nsdPort, { cpuProf: profDir, logLevel });
  const alive = () => proc.child.exitCode === null && proc.child.signalCode === null;
  if ((await waitFor(port, list[0], (rc) => rc === 'NXDOMAIN', 120_000, alive)) === null) throw new Error(`hradba did not serve the list:\n${proc.output()}`);
  if (pinned) pin(proc.child.pid, 0);
  await dnsperf(port, sinkFile, { seconds });
  await stopProcess(proc.child, 20_000);
  const files = readdirSync(profDir).map((f) => join(profDir, f));
  return summariseProfile(files, 25).split('### List-building')[0].trim();
}
