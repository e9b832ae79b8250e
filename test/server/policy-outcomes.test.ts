/** The new outcomes of the query path without sockets: bypass, would-sinkhole, exceptions per group and an injected clock for expiry. */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import type { Remote } from '../../src/net/types.js';
import { InFlight, createQueryHandler, type Outcome } from '../../src/server/query-handler.js';
import { buildSnapshot, type Snapshot } from '../../src/server/snapshot.js';
import type { Forwarder, ForwardResult } from '../../src/upstream/forwarder.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-outcomes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const list = (id: string, entries: string[]): string => ['#@hradba-list 1', `#@id: ${id}`, `#@vendor: ${id}`, '#@basis: A | 2025 | T | https://example.org/', ...entries, ''].join('\n');
writeFileSync(path.join(tmp, 'ban.list'), list('ban', ['banned.test']));
writeFileSync(path.join(tmp, 'trial.list'), list('trial', ['trial.test']));

const echo: Forwarder = {
  forward: async (query: Buffer): Promise<ForwardResult> => {
    const answer = Buffer.from(query);
    answer[2] = answer[2]! | 0x80;
    return { ok: true, answer, upstream: { host: '127.0.0.1', port: 53 }, transport: 'udp' };
  },
  close: async () => {},
  stats: { queries: 0, udpSent: 0, tcpRetries: 0, discarded: 0, attemptErrors: 0, timeouts: 0, socketsOpened: 0, socketsClosed: 0 },
} as Forwarder;

const YAML = [
  'access: { allow: [127.0.0.0/8] }',
  // The names are under test., which goes to the (echo) upstream only when asked.
  'forward: { testNames: true }',
  'lists:',
  '  - { file: ban.list }',
  '  - { file: trial.list, mode: log-only }',
  'groups:',
  '  - name: lab',
  '    clients: [127.0.0.9]',
  '    exceptions: [{ domain: banned.test, reason: lab work, expires: "2026-12-01T00:00:00Z" }]',
  '',
].join('\n');

async function setup(nowMs: number) {
  const config = parseConfig(YAML, path.join(tmp, 'hradba.yaml'));
  const { snapshot } = await buildSnapshot(config, 1, undefined, { now: () => nowMs });
  await snapshot.forwarder.close();
  const snap: Snapshot = { ...snapshot, forwarder: echo };
  const outcomes: Outcome[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const handler = createQueryHandler({ current: () => snap, log, inFlight: new InFlight(), observe: (o) => outcomes.push(o) });
  return { handler, outcomes, lines };
}

const user: Remote = { address: '127.0.0.1', port: 5300, transport: 'udp' };
const lab: Remote = { address: '127.0.0.9', port: 5300, transport: 'udp' };
const BEFORE = Date.parse('2026-11-26T00:00:00Z');
const AFTER = Date.parse('2026-12-02T00:00:00Z');

describe('policy outcomes', () => {
  it.each([
    ['use-application-dns.net', TYPE.A, user, BEFORE, 'bypass', RCODE.NXDOMAIN],
    ['_dns.resolver.arpa', TYPE.SVCB, user, BEFORE, 'bypass', RCODE.NOERROR],
    ['www.trial.test', TYPE.A, user, BEFORE, 'would-sinkhole', RCODE.NOERROR],
    ['www.banned.test', TYPE.A, user, BEFORE, 'sinkholed', RCODE.NXDOMAIN],
    ['www.banned.test', TYPE.A, lab, BEFORE, 'forwarded', RCODE.NOERROR],
    ['www.banned.test', TYPE.A, lab, AFTER, 'sinkholed', RCODE.NXDOMAIN],
  ] as const)('%s type %i from %o at %i → %s', async (name, type, remote, now, outcome, rcode) => {
    const h = await setup(now);
    const answer = await h.handler(buildQuery({ id: 7, name, type }), remote);
    expect(h.outcomes).toEqual([outcome]);
    expect(answer === null ? -1 : answer[3]! & 0x0f).toBe(rcode);
  });

  it('logs an expired exception once, then sinkholes with the group in the line', async () => {
    const h = await setup(AFTER);
    await h.handler(buildQuery({ id: 1, name: 'a.banned.test', type: TYPE.A }), lab);
    await h.handler(buildQuery({ id: 2, name: 'b.banned.test', type: TYPE.A }), lab);
    expect(h.lines.filter((l) => l['event'] === 'exception-expired')).toHaveLength(1);
    expect(h.lines.filter((l) => l['event'] === 'sinkhole').map((l) => [l['qname'], l['group']])).toEqual([
      ['a.banned.test', 'lab'],
      ['b.banned.test', 'lab'],
    ]);
  });
});

describe('the DS of a listed apex is the parent zone\'s answer', () => {
  it.each([
    ['banned.test', 'forwarded', RCODE.NOERROR],
    ['www.banned.test', 'sinkholed', RCODE.NXDOMAIN],
    // A log-only list does what enforcement would: the apex DS goes upstream with no "would sinkhole" line.
    ['trial.test', 'forwarded', RCODE.NOERROR],
    ['www.trial.test', 'would-sinkhole', RCODE.NOERROR],
    // An anti-bypass name is listed like any other.
    ['use-application-dns.net', 'forwarded', RCODE.NOERROR],
    ['_dns.resolver.arpa', 'bypass', RCODE.NOERROR],
  ] as const)('DS %s → %s', async (name, outcome, rcode) => {
    const h = await setup(BEFORE);
    const answer = await h.handler(buildQuery({ id: 9, name, type: TYPE.DS }), user);
    expect(h.outcomes).toEqual([outcome]);
    expect(answer === null ? -1 : answer[3]! & 0x0f).toBe(rcode);
    const logged = h.lines.filter((l) => ['sinkhole', 'would-sinkhole', 'bypass'].includes(String(l['event'])));
    expect(logged).toHaveLength(outcome === 'forwarded' ? 0 : 1);
  });
});
