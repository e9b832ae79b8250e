/**
 * `npm run bench`: hradba side by side with Unbound, dnsmasq and the Node limit, one thread each, the same
 * generated list and the same local NSD upstream, driven by dnsperf on loopback. Prints one table per list
 * size and writes bench/results/latest.md.
 *
 *   node bench/bench.mjs [--sizes 1k,100k,1M] [--duration 3] [--rounds 1] [--servers node-limit,hradba,unbound,dnsmasq]
 *                        [--workers 1,2] [--reloads 0] [--profile] [--formats 48719] [--memory] [--out bench/results/latest.md]
 *                        [--block-path]  (the block path at the Node limit, bench/block-path.mjs; --servers '' for it alone)
 *                        [--lossy SECONDS]   (the lossy-upstream row, bench/lossy-upstream.mjs; `--sizes none` for it alone)
 *
 * --memory adds bench/memory.mjs's row: RSS after 100,000 distinct forwarded names at 5,000 q/s, hradba and Unbound.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ask, startProbe, waitFor } from './dns-client.mjs';
import { listNames, sinkholedQueries, rng } from './names.mjs';
import { memoryRun, memoryTable } from './memory.mjs';
import { summariseProfile } from './profile.mjs';
import { benchListFormats } from './list-formats.mjs';
import { blockPathSection } from './block-path.mjs';
import { lossyUpstreamSection } from './lossy-upstream.mjs';
import { KINDS, ROOT, freePort, rssMiB, startNsd, stopProcess } from './servers.mjs';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1k,100k,1M' },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    servers: { type: 'string', default: 'node-limit,hradba,unbound,dnsmasq' },
    workers: { type: 'string', default: '' },
    reloads: { type: 'string', default: '0' },
    profile: { type: 'boolean', default: false },
    // Names per list in the list-format rows (bench/list-formats.mjs); 0 leaves them out.
    formats: { type: 'string', default: '48719' },
    'block-path': { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'latest.md') },
    lossy: { type: 'string', default: '0' },
  },
});
const SIZES = (args.sizes === 'none' ? [] : args.sizes.split(',')).map((s) => {
  const m = /^(\d+)([kM]?)$/.exec(s.trim());
  if (!m) throw new Error(`bad size '${s}' (use e.g. 1k, 100k, 1M)`);
  return Number(m[1]) * (m[2] === 'k' ? 1000 : m[2] === 'M' ? 1_000_000 : 1);
});
const DURATION = Math.max(1, Math.min(60, Number(args.duration)));
const ROUNDS = Math.max(1, Math.min(9, Math.floor(Number(args.rounds))));

/** medianRun repeats a closed-loop load ROUNDS times and keeps the run with the median q/s (the machine is noisy). */
async function medianRun(port, fileOrFiles) {
  const runs = [];
  // A list of files: one per round (names never asked before, so a miss stays a miss in every round).
  for (let i = 0; i < ROUNDS; i++) {
    const file = Array.isArray(fileOrFiles) ? fileOrFiles[i % fileOrFiles.length] : fileOrFiles;
    runs.push(await dnsperf(port, file, { seconds: DURATION }));
  }
  runs.sort((a, b) => (a.qps ?? 0) - (b.qps ?? 0));
  return runs[Math.floor(runs.length / 2)];
}
const SERVERS = args.servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
for (const s of SERVERS) if (!(s in KINDS)) throw new Error(`unknown server '${s}' (known: ${Object.keys(KINDS).join(', ')})`);
const LATENCY_QPS = 5000;
const CANARY = 'canary.bench.test';
const work = mkdtempSync(join(tmpdir(), 'hradba-bench-'));
const say = (s) => process.stderr.write(`${s}\n`);

/** hradba has a cache once its shipped config names a top-level `cache` key (issue 4); until then that row is n/a. */
const hradbaHasCache = /^cache:/m.test(readFileSync(join(ROOT, 'config', 'hradba.yaml'), 'utf8'));
const hradbaHasWorkers = /^workers:/m.test(readFileSync(join(ROOT, 'config', 'hradba.yaml'), 'utf8'));

/** dnsperf runs one bounded load (-l seconds, optionally -Q q/s) and returns its summary (and per-query latencies with -v). */
function dnsperf(port, file, { seconds, qps, verbose }) {
  const a = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), '-T', '1', '-c', '8', '-q', '200', '-t', '2'];
  if (qps !== undefined) a.push('-Q', String(qps));
  if (verbose) a.push('-v');
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', a, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lat = [];
    let tail = '';
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // -v lines: "> NOERROR name A 0.000123"
        if (verbose && line.startsWith('>')) {
          const v = Number(line.slice(line.lastIndexOf(' ') + 1));
          if (Number.isFinite(v)) lat.push(v * 1000);
        } else tail += `${line}\n`;
      }
    });
    child.stderr.on('data', (c) => (tail += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      const num = (re) => {
        const m = re.exec(tail);
        return m ? Number(m[1]) : null;
      };
      lat.sort((x, y) => x - y);
      const pct = (p) => (lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]);
      resolve({
        qps: num(/Queries per second:\s+([\d.]+)/),
        sent: num(/Queries sent:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        loops: num(/Ran through file:\s+(\d+)/),
        p50: pct(50),
        p99: pct(99),
        raw: tail,
      });
    });
  });
}

/** writeQueries writes a dnsperf input file ("name A" per line). */
function writeQueries(file, names) {
  writeFileSync(file, names.map((n) => `${n} A\n`).join(''));
  return file;
}

/** queryFiles builds the per-size query streams: sinkholed names, cached names, unique misses, and a mix of the three. */
function queryFiles(dir, list) {
  const r = rng(7);
  const sink = list.length > 0 ? sinkholedQueries(list, 50_000) : [];
  const cached = Array.from({ length: 1000 }, (_, i) => `c${i}.bench.test`);
  const rounds = Array.from({ length: ROUNDS }, (_, round) => round);
  const misses = rounds.map((round) => Array.from({ length: 400_000 }, (_, i) => `m${i}.r${round}.bench.test`));
  const mixed = rounds.map((round) =>
    Array.from({ length: 300_000 }, (_, i) => {
      const x = r();
      if (x < 0.2 && sink.length > 0) return sink[i % sink.length];
      if (x < 0.8) return cached[Math.floor(r() * cached.length)];
      return `x${i}.r${round}.bench.test`;
    }),
  );
  return {
    sink: sink.length > 0 ? writeQueries(join(dir, 'q-sink.txt'), sink) : null,
    cached: writeQueries(join(dir, 'q-cached.txt'), cached),
    misses: misses.map((names, round) => writeQueries(join(dir, `q-miss-${round}.txt`), names)),
    mixed: mixed.map((names, round) => writeQueries(join(dir, `q-mixed-${round}.txt`), names)),
  };
}

/** runServer starts one server with the list, measures start-up, RSS and every load, then the reload under probe. */
async function runServer(kind, list, files, nsdPort, opts = {}) {
  const k = KINDS[kind];
  const dir = join(work, `${kind}-${list.length}-${opts.workers ?? 1}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  k.write(dir, list);
  const port = await freePort();
  const began = performance.now();
  const proc = k.start(dir, port, nsdPort, opts);
  const alive = () => proc.child.exitCode === null && proc.child.signalCode === null;
  const probeName = list.length > 0 ? list[0] : 'ready.bench.test';
  const readyMs = await waitFor(port, probeName, (rc) => (list.length > 0 ? rc === 'NXDOMAIN' : rc === 'NOERROR'), 120_000, alive);
  if (readyMs === null) {
    await stopProcess(proc.child);
    throw new Error(`${kind} did not serve the list:\n${proc.output()}`);
  }
  const loadS = (performance.now() - began) / 1000;
  // Let start-up garbage settle before reading RSS.
  await new Promise((r) => setTimeout(r, 500));
  const pids = () => [proc.child.pid, ...childPids(proc.child.pid)];
  const rss = () => pids().reduce((n, p) => n + (rssMiB(p) ?? 0), 0);
  const out = { kind, size: list.length, workers: opts.workers ?? 1, loadS, rss: rss() };
  if (opts.onlyLoad) {
    await stopProcess(proc.child);
    return out;
  }
  const noCache = kind === 'hradba' && !hradbaHasCache;
  say(`  ${kind}${opts.workers ? ` workers=${opts.workers}` : ''}: ready in ${loadS.toFixed(2)} s, RSS ${out.rss.toFixed(0)} MiB`);
  if (files.sink) {
    out.sink = await medianRun(port, files.sink);
    out.sinkLat = await dnsperf(port, files.sink, { seconds: Math.min(DURATION, 3), qps: LATENCY_QPS, verbose: true });
  }
  // Warm the cache: one pass over the cached names.
  await dnsperf(port, files.cached, { seconds: 5, qps: 20000 });
  if (!noCache) {
    out.cached = await medianRun(port, files.cached);
    out.cachedLat = await dnsperf(port, files.cached, { seconds: Math.min(DURATION, 3), qps: LATENCY_QPS, verbose: true });
  }
  out.miss = await medianRun(port, files.misses);
  out.mixed = await medianRun(port, files.mixed);
  out.rssAfter = rss();
  if (list.length > 0 && !opts.skipReload) out.reload = await reloadUnderProbe(k, dir, proc, port, list);
  if (opts.reloads > 0) out.rssReloads = await repeatedReloads(proc, port, opts.reloads, rss, k.reloadsDone && (() => k.reloadsDone(dir)));
  await stopProcess(proc.child);
  if (kind === 'hradba' && opts.cpuProf === undefined) rmSync(join(dir, 'hradba.log'), { force: true });
  return out;
}

/** childPids lists a process's children (hradba's workers), so RSS counts the whole server. */
function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** reloadUnderProbe adds the canary to the list and reloads under a 1,000 q/s probe; bounded to 30 s. */
async function reloadUnderProbe(k, dir, proc, port, list) {
  const probe = startProbe(port, [list[1] ?? list[0], 'probe.bench.test'], CANARY, 1000);
  await new Promise((r) => setTimeout(r, 1000));
  k.addCanary(dir, CANARY);
  probe.markAt();
  proc.child.kill('SIGHUP');
  const limit = performance.now() + 30_000;
  while (!probe.canaryBlocked() && performance.now() < limit) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1000));
  return probe.stop(2000);
}

/**
 * repeatedReloads sends SIGHUP n times, each once the previous reload is in force (`done` counts finished reloads
 * where the server tells; else 3 s apart), and records RSS a second after each.
 */
async function repeatedReloads(proc, port, n, rss, done) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const before = done ? done() : 0;
    proc.child.kill('SIGHUP');
    if (done) {
      const limit = performance.now() + 120_000;
      while (done() <= before && performance.now() < limit) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1000));
    } else await new Promise((r) => setTimeout(r, 3000));
    await ask(port, 'probe.bench.test', 1000);
    out.push(rss());
  }
  return out;
}

const f0 = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
const f2 = (v) => (v === null || v === undefined ? '–' : v.toFixed(2));
const ms = (v) => (v === null || v === undefined ? '–' : v < 1000 ? `${v.toFixed(1)} ms` : `${(v / 1000).toFixed(2)} s`);

function row(r, empty) {
  const d = empty === undefined ? null : r.rss - empty.rss;
  const rel = d === null ? '' : ` (${d >= 0 ? '+' : '−'}${f0(Math.abs(d))})`;
  const cached = r.kind === 'hradba' && !hradbaHasCache ? 'n/a: no cache' : f0(r.cached?.qps);
  const cachedLat = r.kind === 'hradba' && !hradbaHasCache ? 'n/a' : `${f2(r.cachedLat?.p50)} / ${f2(r.cachedLat?.p99)}`;
  const reload = r.reload ? `${ms(r.reload.longestGapMs)} / ${ms(r.reload.canaryBlockedMs)} / ${r.reload.lost}` : '–';
  const name = r.workers > 1 ? `${KINDS[r.kind].label.replace('1 worker', `${r.workers} workers`)}` : KINDS[r.kind].label;
  return `| ${name} | ${f0(r.sink?.qps)} | ${cached} | ${f0(r.miss?.qps)} | ${f0(r.mixed?.qps)} | ${f2(r.sinkLat?.p50)} / ${f2(r.sinkLat?.p99)} | ${cachedLat} | ${f2(r.loadS)} / ${f0(r.rss)}${rel} | ${reload} |`;
}

function ratioLine(h, base, name) {
  if (!h || !base) return null;
  const q = (a, b) => (a?.qps && b?.qps ? `${((a.qps / b.qps) * 100).toFixed(0)}%` : '–');
  return `| hradba ÷ ${name} | ${q(h.sink, base.sink)} | ${hradbaHasCache ? q(h.cached, base.cached) : 'n/a'} | ${q(h.miss, base.miss)} | ${q(h.mixed, base.mixed)} | | | | |`;
}

async function main() {
  const startedAt = new Date();
  const nsd = await startNsd(join(work, 'nsd'));
  say(`bench: work dir ${work}; NSD on 127.0.0.1:${nsd.port}; sizes ${SIZES.join(', ')}; ${DURATION} s per load`);
  const sections = [];
  const profiles = [];
  try {
    // RSS and start-up with an empty list: what each server costs before any list.
    const emptyFiles = queryFiles(mkdirSync(join(work, 'q0'), { recursive: true }) ?? join(work, 'q0'), []);
    const empty = {};
    for (const kind of SERVERS) empty[kind] = await runServer(kind, [], emptyFiles, nsd.port, { onlyLoad: true });
    for (const size of SIZES) {
      say(`bench: ${size.toLocaleString('en-US')} names`);
      const t0 = performance.now();
      const list = listNames(size);
      const qdir = join(work, `q${size}`);
      mkdirSync(qdir, { recursive: true });
      const files = queryFiles(qdir, list);
      say(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const results = [];
      for (const kind of SERVERS) {
        results.push(await runServer(kind, list, files, nsd.port, { reloads: kind === 'hradba' ? Number(args.reloads) : 0 }));
      }
      // The profiled pass is extra and stays out of the table: --cpu-prof slows the process it watches.
      if (args.profile && size === SIZES[SIZES.length - 1] && SERVERS.includes('hradba')) {
        const profDir = join(work, 'prof');
        say('  hradba again under --cpu-prof (not in the table)');
        await runServer('hradba', list, files, nsd.port, { cpuProf: profDir });
        profiles.push(...readdirSync(profDir).map((f) => join(profDir, f)));
      }
      if (args.workers && hradbaHasWorkers) {
        for (const w of args.workers.split(',').map(Number).filter((n) => n > 1)) {
          results.push(await runServer('hradba', list, files, nsd.port, { workers: w, skipReload: false }));
        }
      }
      if (args['block-path'] && size === SIZES[SIZES.length - 1] && files.sink) {
        const section = await blockPathSection({ list, sinkFile: files.sink, nsdPort: nsd.port, dnsperf, rounds: ROUNDS, duration: DURATION, work, say, profile: args.profile });
        sections.push(section);
        process.stdout.write(`${section}\n`);
      }
      const by = Object.fromEntries(results.filter((r) => r.workers === 1).map((r) => [r.kind, r]));
      const lines = [
        `### ${size.toLocaleString('en-US')} names`,
        '',
        '| server | sinkholed q/s | cache-hit q/s | forwarded (miss) q/s | mixed q/s | sinkholed p50 / p99 ms @5k q/s | cache-hit p50 / p99 ms @5k q/s | ready s / RSS MiB (+ over empty) | reload: longest gap / canary blocked / lost |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
        ...results.map((r) => row(r, empty[r.kind])),
        ...[ratioLine(by.hradba, by['node-limit'], 'Node limit'), ratioLine(by.hradba, by.unbound, 'Unbound')].filter(Boolean),
        '',
      ];
      const loops = results.filter((r) => (r.miss?.loops ?? 0) > 1).map((r) => r.kind);
      if (loops.length > 0) lines.push(`Note: the miss stream wrapped around for ${loops.join(', ')} (later passes were cache hits).`, '');
      const rel = results.filter((r) => r.rssReloads);
      for (const r of rel) lines.push(`RSS of ${r.kind} after each of ${r.rssReloads.length} reloads (MiB): ${r.rssReloads.map((v) => v.toFixed(0)).join(', ')}`, '');
      sections.push(lines.join('\n'));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (args.memory) {
      const rows = [];
      for (const kind of SERVERS.filter((s) => s === 'hradba' || s === 'unbound')) rows.push(await memoryRun(kind, { work, nsdPort: nsd.port }));
      sections.push(memoryTable(rows));
      process.stdout.write(`${memoryTable(rows)}\n`);
    }
    if (Number(args.lossy) > 0) {
      const lines = await lossyUpstreamSection({ work, seconds: Math.min(60, Number(args.lossy)), say });
      sections.push(lines.join('\n'));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await nsd.stop();
  }
  if (Number(args.formats) > 0) {
    say(`list formats: ${args.formats} names`);
    const section = await benchListFormats({ count: Number(args.formats), rounds: Math.max(3, ROUNDS), say });
    sections.push(section);
    process.stdout.write(`${section}\n`);
  }
  const profileText = profiles.length > 0 ? summariseProfile(profiles) : null;
  const header = [
    '# hradba benchmark results',
    '',
    `Written by \`npm run bench\` (bench/bench.mjs) on ${startedAt.toISOString()}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}.`,
    `Arguments: sizes ${args.sizes}, ${ROUNDS} round(s) per load (median q/s), ${DURATION} s per dnsperf load (closed loop, 8 clients, 200 outstanding, one dnsperf thread),`,
    `latency at ${LATENCY_QPS.toLocaleString('en-US')} q/s offered. One server thread each, all on loopback, the same NSD upstream.`,
    'dnsperf shares the 2 CPUs with the server and the upstream: only ratios within one run mean anything.',
    '',
    'Columns: ready = from spawn to the first listed name answered NXDOMAIN; RSS after load, and above the same server',
    'with an empty list. Reload: the list gets one more name (the canary) and the server is sent SIGHUP under a',
    '1,000 q/s probe; longest gap between two answers, time until the canary is answered NXDOMAIN, probe queries',
    'never answered. hradba logs every sinkholed query (block log at level info, to a file).',
    hradbaHasCache ? '' : 'hradba has no cache yet (no `cache` key in config/hradba.yaml): its cache-hit columns are n/a.',
    'What the figures and the profile mean, target by target: [findings.md](findings.md) (written by hand).',
    '',
  ];
  const text = [...header, ...sections, ...(profileText ? ['## Profile of hradba (--cpu-prof, largest list, every load and one reload)', '', profileText, ''] : [])].join('\n');
  mkdirSync(join(args.out, '..'), { recursive: true });
  writeFileSync(args.out, text);
  say(`bench: wrote ${args.out}`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  say(`bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
