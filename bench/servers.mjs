/** Starting the servers the bench compares, each on its own loopback port with the same list and the same upstream. */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { waitFor } from './dns-client.mjs';

const SBIN = (bin) => (bin === 'dnsperf' ? bin : `/usr/sbin/${bin}`);
export const ROOT = new URL('..', import.meta.url).pathname;
const NODE = process.execPath;

/**
 * deploymentEnv is the environment the Dockerfile gives hradba (its ENV lines), so the bench runs hradba as it is
 * deployed, allocator settings included. HRADBA_BENCH_ENV=none runs it with the caller's environment only.
 */
export function deploymentEnv() {
  if (process.env.HRADBA_BENCH_ENV === 'none') return {};
  const env = {};
  for (const m of readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of m[1].trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** freePort asks the kernel for a UDP port on 127.0.0.1 that nobody uses right now. */
export function freePort() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** rssMiB reads a process's resident set from /proc. */
export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** launch starts a server process, keeping the last 20,000 characters of its output for error messages. */
export function launch(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c.toString()).slice(-20000)));
  child.stderr.on('data', (c) => (output = (output + c.toString()).slice(-20000)));
  return { child, output: () => output };
}

/** stop sends SIGTERM and waits (bounded) for the exit, then SIGKILL. */
export async function stopProcess(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/**
 * startNsd serves bench.test (SOA, NS and a wildcard A) from NSD: the authoritative upstream of every resolver.
 * `rrlRatelimit` (answers a second per client network, 0 = off) and `rrlSlip` turn response rate limiting on.
 */
export async function startNsd(dir, opts = {}) {
  // freePort checks UDP only: the same TCP port may be taken (e.g. by a connection in TIME_WAIT), so try a few.
  for (let tries = 1; ; tries++) {
    try {
      return await startNsdOnce(dir, await freePort(), opts);
    } catch (err) {
      if (tries >= 5 || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

async function startNsdOnce(dir, port, { rrlRatelimit = 0, rrlSlip = 2 }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bench.test.zone'),
    [
      '$ORIGIN bench.test.',
      '$TTL 3600',
      '@ IN SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 3600',
      '@ IN NS ns.bench.test.',
      'ns IN A 127.0.0.1',
      '* IN A 192.0.2.1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'nsd.conf'),
    [
      'server:',
      `  ip-address: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${dir}"`,
      `  pidfile: "${join(dir, 'nsd.pid')}"`,
      `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
      `  xfrdir: "${dir}"`,
      `  zonelistfile: "${join(dir, 'zone.list')}"`,
      '  database: ""',
      '  server-count: 1',
      // Response rate limiting would cap the upstream at a few hundred answers a second per client.
      `  rrl-ratelimit: ${rrlRatelimit}`,
      `  rrl-slip: ${rrlSlip}`,
      '  verbosity: 0',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      '  name: "bench.test"',
      '  zonefile: "bench.test.zone"',
      '',
    ].join('\n'),
  );
  const p = launch(SBIN('nsd'), ['-d', '-c', join(dir, 'nsd.conf')]);
  const ok = await waitFor(port, 'x.bench.test', (rc) => rc === 'NOERROR', 10000, () => p.child.exitCode === null);
  if (ok === null) throw new Error(`NSD did not start:\n${p.output()}`);
  return { port, child: p.child, stop: () => stopProcess(p.child) };
}

/**
 * Each server kind: how it writes its list files into its own directory, how it starts, and how a reload
 * with one more name is triggered. `names` is the list; every entry blocks the name and all below it.
 */
/**
 * unboundConf is the one Unbound configuration of the bench: one thread on 127.0.0.1, forwarding everything to the
 * NSD upstream, the given cache sizes, and `extra` server lines (the list include, buffer sizes).
 */
export function unboundConf(dir, port, upstreamPort, { msgCache, rrsetCache, extra = [] }) {
  return [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  num-threads: 1',
    '  do-daemonize: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  do-ip6: no',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  module-config: "iterator"',
    '  qname-minimisation: no',
    `  msg-cache-size: ${msgCache}`,
    `  rrset-cache-size: ${rrsetCache}`,
    '  local-zone: "test." nodefault',
    ...extra,
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${upstreamPort}`,
    '',
  ].join('\n');
}

export const KINDS = {
  'node-limit': {
    label: 'Node limit (bare node:dgram, Set)',
    write(dir, names) {
      writeFileSync(join(dir, 'list.txt'), names.length > 0 ? `${names.join('\n')}\n` : '');
    },
    addCanary(dir, canary) {
      appendFileSync(join(dir, 'list.txt'), `${canary}\n`);
    },
    start(dir, port, upstreamPort) {
      return launch(NODE, [join(ROOT, 'bench', 'node-limit.mjs'), String(port), join(dir, 'list.txt'), String(upstreamPort)]);
    },
  },
  hradba: {
    label: 'hradba (1 worker)',
    write(dir, names) {
      writeFileSync(join(dir, 'list.txt'), names.length > 0 ? `${names.join('\n')}\n` : '');
    },
    addCanary(dir, canary) {
      appendFileSync(join(dir, 'list.txt'), `${canary}\n`);
    },
    /** How many reloads have finished (the "reload" lines of its log), so repeated reloads never overlap. */
    reloadsDone(dir) {
      try {
        return readFileSync(join(dir, 'hradba.log'), 'utf8').split('\n').filter((l) => l.includes('"event":"reload"')).length;
      } catch {
        return 0;
      }
    },
    start(dir, port, upstreamPort, opts = {}) {
      const config = {
        listen: [`127.0.0.1:${port}`],
        upstreams: [`127.0.0.1:${upstreamPort}`],
        // bench.test is under test. (RFC 6761), answered locally unless forwarded on purpose.
        forward: { attemptTimeout: '1s', deadline: '3s', socketPool: 1024, testNames: true },
        access: { allow: ['127.0.0.0/8'], action: 'refuse' },
        sinkhole: { mode: 'nxdomain', ttl: '60s', ipv4: null, ipv6: null, ede: true },
        lists: [
          {
            file: join(dir, 'list.txt'),
            format: 'plain',
            id: 'bench',
            vendor: 'bench',
            basis: [{ authority: 'Bench authority', date: '2026-01-01', title: 'Bench list', url: 'https://example.org/bench' }],
            // The baseline run serves an empty list on purpose (RSS before any list); an empty list is otherwise an error.
            mayBeEmpty: 'the bench baseline run measures RSS with no list',
          },
        ],
        maxBadLines: 0,
        // The sinkhole log stays on (level info), written to a file as in production.
        log: { level: opts.logLevel ?? 'info', file: join(dir, 'hradba.log'), queries: false },
        // One serving thread unless the run asks for more (the table is per thread).
        workers: opts.workers ?? 1,
      };
      writeFileSync(join(dir, 'hradba.yaml'), JSON.stringify(config, null, 2));
      const nodeArgs = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : [];
      // The environment of the deployment files (allocator settings included), as in production.
      const env = { ...process.env, ...deploymentEnv() };
      return launch(NODE, [...nodeArgs, join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', join(dir, 'hradba.yaml')], { env });
    },
  },
  unbound: {
    label: 'Unbound',
    write(dir, names) {
      writeFileSync(join(dir, 'list.conf'), names.map((n) => `local-zone: "${n}." always_nxdomain\n`).join(''));
    },
    addCanary(dir, canary) {
      appendFileSync(join(dir, 'list.conf'), `local-zone: "${canary}." always_nxdomain\n`);
    },
    start(dir, port, upstreamPort) {
      writeFileSync(
        join(dir, 'unbound.conf'),
        unboundConf(dir, port, upstreamPort, { msgCache: '64m', rrsetCache: '128m', extra: ['  so-rcvbuf: 4m', `  include: "${join(dir, 'list.conf')}"`] }),
      );
      return launch(SBIN('unbound'), ['-d', '-c', join(dir, 'unbound.conf')]);
    },
  },
  dnsmasq: {
    label: 'dnsmasq',
    // A servers-file, because dnsmasq re-reads only that (not address= lines) on SIGHUP; `server=/name/`
    // with no address answers NXDOMAIN for the name and all below it, like `address=/name/`.
    write(dir, names) {
      writeFileSync(join(dir, 'servers.conf'), names.map((n) => `server=/${n}/\n`).join(''));
    },
    addCanary(dir, canary) {
      appendFileSync(join(dir, 'servers.conf'), `server=/${canary}/\n`);
    },
    start(dir, port, upstreamPort) {
      return launch(SBIN('dnsmasq'), [
        '-k',
        '--conf-file=/dev/null',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        `--server=127.0.0.1#${upstreamPort}`,
        `--servers-file=${join(dir, 'servers.conf')}`,
        '--cache-size=10000',
        '--dns-forward-max=1000',
        '--user=root',
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      ]);
    },
  },
};
