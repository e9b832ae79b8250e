/** Starts a real Unbound on loopback as an RPZ peer: forwarding to a test upstream and enforcing an RPZ zone file: the peer that checks `hradba export rpz`. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, trackChild } from './child-registry.js';
import { dig, parseDig } from './dig.js';
import { freePort } from './free-port.js';
import { requireTool } from './paths.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';
import { retry } from './wait.js';

export interface UnboundServer {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

/** startUnbound runs `unbound -d` on 127.0.0.1 with the RPZ zone `rpzText` (zone name `rpzName`), forwarding to 127.0.0.1:`upstreamPort`. */
export async function startUnbound(opts: { upstreamPort: number; rpzName: string; rpzText: string; probeName: string }): Promise<UnboundServer> {
  const bin = requireTool('unbound');
  const port = await freePort();
  const dir = makeTempDir('unbound');
  writeFileSync(join(dir, 'policy.rpz'), opts.rpzText);
  const conf = [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  access-control: 127.0.0.0/8 allow',
    // The upstream is on loopback; RPZ needs the respip module; no validator (the test zones are unsigned).
    '  do-not-query-localhost: no',
    '  module-config: "respip iterator"',
    '  qname-minimisation: no',
    // Unbound answers the RFC 6761 names itself by default; the test zones live under test.
    '  local-zone: "test." nodefault',
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${opts.upstreamPort}`,
    'rpz:',
    `  name: "${opts.rpzName}"`,
    `  zonefile: "${join(dir, 'policy.rpz')}"`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'unbound.conf'), conf);
  const child = spawn(bin, ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child, 'SIGTERM');
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const server: UnboundServer = {
    port,
    output: () => output,
    async stop() {
      await stopChild(child, 'SIGTERM', 5000);
      removeTempDir(dir);
    },
  };
  try {
    await retry(`Unbound on port ${port} answering`, 50, 100, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`unbound exited early:\n${output}`);
      const run = await dig({ port }, [opts.probeName, 'A', '+timeout=1']);
      return parseDig(run.stdout).status === null ? undefined : true;
    });
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\nunbound output:\n${output}`);
  }
  return server;
}
