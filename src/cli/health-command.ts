/**
 * `hradba health`: proves the DNS service answers, not only that the process exists. Sends one query for
 * `localhost A` (answered locally, so no upstream is involved) over UDP to the local listener and exits 0 on a
 * valid NOERROR answer with a record, 1 otherwise. The container's HEALTHCHECK runs it.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { loadConfig } from '../config/load.js';
import { durationOrError } from '../config/duration.js';
import { parseHostPort } from '../config/host-port.js';
import type { HostPort } from '../config/types.js';
import { FLAG2_QR, FLAG3_RCODE, RCODE, TYPE, rcodeName } from '../dns/constants.js';
import { buildQuery } from '../dns/query-builder.js';
import { sameQuestion } from '../dns/same-question.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface HealthOptions {
  readonly config: string;
  /** Where to ask; default: the first `listen` address of the config (a wildcard becomes loopback). */
  readonly server?: string;
  /** Duration text, e.g. '2s'. */
  readonly timeout: string;
}

const NAME = 'localhost';

/** A wildcard listen address is reached through loopback of the same family. */
function reachable(hp: HostPort): HostPort {
  if (hp.host === '0.0.0.0') return { host: '127.0.0.1', port: hp.port };
  if (hp.host === '::') return { host: '::1', port: hp.port };
  return hp;
}

/** ask sends the query and resolves with the first reply from `target`, or null when the time is up. */
function ask(target: HostPort, query: Buffer, timeoutMs: number): Promise<Buffer | null | Error> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
    const done = (result: Buffer | null | Error): void => {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('message', (msg, rinfo) => {
      // Only the server's own reply counts; a stray datagram is ignored until the time is up.
      if (rinfo.port === target.port && msg.length >= 12 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
    });
    socket.send(query, target.port, target.host, (err) => {
      if (err) done(err);
    });
  });
}

/** verdict says what is wrong with a reply, or null when it is a valid answer to `query`. */
export function verdict(reply: Buffer, query: Buffer): string | null {
  if ((reply[2]! & FLAG2_QR) === 0) return 'the reply is not a response';
  if (!sameQuestion(reply, query, query.length)) return 'the reply answers another question';
  const rcode = reply[3]! & FLAG3_RCODE;
  if (rcode !== RCODE.NOERROR) return `the reply is ${rcodeName(rcode)} (is 127.0.0.1 or ::1 in access.allow?)`;
  if (reply.readUInt16BE(6) === 0) return 'the reply has no answer record';
  return null;
}

/** health returns the exit code and prints one line saying what it found. */
export async function health(opts: HealthOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const timeoutMs = durationOrError(opts.timeout);
  if (typeof timeoutMs !== 'number') {
    out.write(`unhealthy: --timeout: ${timeoutMs.error}\n`);
    return EXIT.USAGE;
  }
  let target: HostPort;
  try {
    if (opts.server !== undefined) {
      target = parseHostPort(opts.server, 53);
    } else {
      const first = (await loadConfig(opts.config)).listen[0];
      if (first === undefined) throw new Error('the config has no listen address');
      target = reachable(first);
    }
  } catch (err) {
    out.write(`unhealthy: ${problemsOf(err).join('; ')}\n`);
    return EXIT.USAGE;
  }
  const where = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const query = buildQuery({ id: randomInt(0, 0x10000), name: NAME, type: TYPE.A, rd: true });
  const started = performance.now();
  const reply = await ask(target, query, timeoutMs);
  if (reply === null) {
    out.write(`unhealthy: no answer from ${where} within ${opts.timeout}\n`);
    return EXIT.FAILURE;
  }
  if (reply instanceof Error) {
    out.write(`unhealthy: ${where}: ${reply.message}\n`);
    return EXIT.FAILURE;
  }
  const problem = verdict(reply, query);
  if (problem !== null) {
    out.write(`unhealthy: ${where}: ${problem}\n`);
    return EXIT.FAILURE;
  }
  out.write(`healthy: ${where} answered ${NAME} A in ${Math.round(performance.now() - started)} ms\n`);
  return EXIT.OK;
}
