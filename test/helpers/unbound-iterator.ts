/**
 * Starts a real Unbound on loopback as a recursive upstream that iterates from a test root served by NSD: every
 * zone of the tree is a stub zone pointing at NSD's port, so it never sends a query anywhere else. Iterator only:
 * the validator under test sits behind hradba, not here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, trackChild } from './child-registry.js';
import { dig, parseDig } from './dig.js';
import { freePort } from './free-port.js';
import { requireTool } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { retry } from './wait.js';

export interface IteratingUnbound {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

const quote = (s: string): string => `"${s.replace(/"/g, '\\"')}"`;
const fqdn = (zone: string): string => (zone.endsWith('.') ? zone : `${zone}.`);

/** Starts Unbound with a stub zone per name in `zones` (the root first) at 127.0.0.1@`authorityPort`, and waits until it resolves the root SOA. */
export async function startIteratingUnbound(opts: { authorityPort: number; zones: readonly string[] }): Promise<IteratingUnbound> {
  const bin = requireTool('unbound');
  const dir = makeTempDir('unbound-iterator');
  const port = await freePort();
  const conf = [
    'server:',
    '  verbosity: 1',
    `  interface: 127.0.0.1@${port}`,
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
    // The tree's servers are on loopback, which Unbound skips by default.
    '  do-not-query-localhost: no',
    '  module-config: "iterator"',
    // test. is a locally served zone by default (RFC 6761); here it is the tree's signed TLD.
    '  local-zone: "test." nodefault',
    ...opts.zones.flatMap((z) => ['stub-zone:', `  name: ${quote(fqdn(z))}`, `  stub-addr: 127.0.0.1@${opts.authorityPort}`]),
    '',
  ].join('\n');
  const confFile = join(dir, 'unbound.conf');
  writeFileSync(confFile, conf);

  const child: ChildProcess = spawn(bin, ['-d', '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const server: IteratingUnbound = {
    port,
    output: () => output,
    async stop() {
      await stopChild(child, 'SIGTERM', 5000);
      removeTempDir(dir);
    },
  };
  try {
    await retry(`iterating unbound on port ${port} answering SOA .`, 50, 100, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`unbound exited early:\n${output}`);
      const run = await dig({ port }, ['.', 'SOA', '+timeout=1', '+tries=1']);
      return parseDig(run.stdout).status === 'NOERROR' ? true : undefined;
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
