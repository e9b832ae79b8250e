/**
 * Starts a real Unbound on loopback as an upstream: plain DNS over UDP and TCP, DNS over TLS and DNS over HTTPS,
 * answering a test zone from local-data (and REFUSED for everything else, so it never sends a query anywhere).
 * Its remote control on a unix socket gives the number of queries it received, which is what proves a cache hit
 * or that a name never reached it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, trackChild } from './child-registry.js';
import { dig, parseDig } from './dig.js';
import { freePort } from './free-port.js';
import { requireTool } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { retry } from './wait.js';

export interface UnboundOptions {
  /** The zone served (default 'zone.test'); the SOA and `records` are added as local-data. */
  readonly zone?: string;
  /** Extra local-data lines, e.g. 'www.zone.test. 300 IN A 192.0.2.10'. */
  readonly records?: readonly string[];
  /** More local zones served the same way (SOA added), e.g. '168.192.in-addr.arpa'. */
  readonly extraZones?: readonly string[];
  /** Key and certificate for DoT and DoH; without them only UDP/TCP are served. */
  readonly tls?: { readonly keyFile: string; readonly certFile: string };
}

export interface UnboundServer {
  /** UDP and TCP port. */
  readonly port: number;
  readonly tlsPort: number;
  readonly httpsPort: number;
  /** Queries received so far (all transports), from `unbound-control stats_noreset`. */
  queries(): Promise<number>;
  output(): string;
  /** Stops the process (the ports stay reserved for restart()). */
  kill(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const quote = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;

function soa(zone: string): string {
  return `${zone}. 3600 IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`;
}

/** Starts Unbound and waits until it answers the zone's SOA over UDP. */
export async function startUnbound(opts: UnboundOptions = {}): Promise<UnboundServer> {
  const bin = requireTool('unbound');
  const control = requireTool('unbound-control');
  const zone = opts.zone ?? 'zone.test';
  const dir = makeTempDir('unbound');
  const port = await freePort();
  const tlsPort = await freePort();
  const httpsPort = await freePort();
  const zones = [zone, ...(opts.extraZones ?? [])];
  const conf = [
    'server:',
    '  verbosity: 1',
    `  interface: 127.0.0.1@${port}`,
    ...(opts.tls === undefined
      ? []
      : [
          `  interface: 127.0.0.1@${tlsPort}`,
          `  interface: 127.0.0.1@${httpsPort}`,
          `  tls-port: ${tlsPort}`,
          `  https-port: ${httpsPort}`,
          `  tls-service-key: ${quote(opts.tls.keyFile)}`,
          `  tls-service-pem: ${quote(opts.tls.certFile)}`,
          '  http-endpoint: "/dns-query"',
        ]),
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  chroot: ""',
    '  username: ""',
    `  directory: ${quote(dir)}`,
    `  pidfile: ${quote(join(dir, 'unbound.pid'))}`,
    '  num-threads: 1',
    '  access-control: 127.0.0.0/8 allow',
    '  module-config: "iterator"',
    // Everything outside the test zones is refused: this Unbound never queries the internet.
    '  local-zone: "." refuse',
    ...zones.flatMap((z) => [`  local-zone: "${z}." static`, `  local-data: ${quote(soa(z))}`]),
    ...(opts.records ?? []).map((r) => `  local-data: ${quote(r)}`),
    'remote-control:',
    '  control-enable: yes',
    `  control-interface: ${quote(join(dir, 'ctl.sock'))}`,
    '  control-use-cert: no',
    '',
  ].join('\n');
  const confFile = join(dir, 'unbound.conf');
  writeFileSync(confFile, conf);

  let child: ChildProcess | null = null;
  let output = '';
  const launch = async (): Promise<void> => {
    const c = spawn(bin, ['-d', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(c);
    child = c;
    c.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    c.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await retry(`unbound on port ${port} answering SOA ${zone}`, 50, 100, async () => {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`unbound exited early:\n${output}`);
      const run = await dig({ port }, [zone, 'SOA', '+timeout=1', '+tries=1']);
      return parseDig(run.stdout).status === 'NOERROR' ? true : undefined;
    });
  };

  const server: UnboundServer = {
    port,
    tlsPort,
    httpsPort,
    queries: () =>
      new Promise((resolve, reject) => {
        execFile(control, ['-c', confFile, 'stats_noreset'], { timeout: 5000 }, (err, stdout) => {
          if (err !== null) return reject(new Error(`unbound-control failed: ${err.message}\n${output}`));
          const m = /^total\.num\.queries=(\d+)$/m.exec(stdout);
          if (m === null) return reject(new Error(`no total.num.queries in:\n${stdout}`));
          resolve(Number(m[1]));
        });
      }),
    output: () => output,
    async kill() {
      if (child !== null) await stopChild(child, 'SIGKILL', 5000);
      child = null;
    },
    async restart() {
      await launch();
    },
    async stop() {
      if (child !== null) await stopChild(child, 'SIGTERM', 5000);
      child = null;
      removeTempDir(dir);
    },
  };
  try {
    await launch();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
