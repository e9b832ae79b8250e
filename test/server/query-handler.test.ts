/** The query path without sockets: which outcome each kind of query reaches, and that it answers accordingly. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { RCODE, TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import type { Remote } from '../../src/net/types.js';
import { InFlight, createQueryHandler, type Outcome } from '../../src/server/query-handler.js';
import { buildSnapshot, type Snapshot } from '../../src/server/snapshot.js';
import type { Forwarder, ForwardResult } from '../../src/upstream/forwarder.js';

const fixtures = fileURLToPath(new URL('../fixtures/lists/', import.meta.url));
const client: Remote = { address: '127.0.0.1', port: 5300, transport: 'udp' };
const stranger: Remote = { address: '192.0.2.7', port: 5300, transport: 'udp' };

/** A forwarder that answers every query with the query itself turned into an empty NOERROR response. */
function echoForwarder(calls: Buffer[]): Forwarder {
  return {
    forward: async (query: Buffer): Promise<ForwardResult> => {
      calls.push(query);
      const answer = Buffer.from(query);
      answer[2] = answer[2]! | 0x80;
      return { ok: true, answer, upstream: { host: '127.0.0.1', port: 53 }, transport: 'udp' };
    },
    close: async () => {},
    stats: { queries: 0, udpSent: 0, tcpRetries: 0, discarded: 0, attemptErrors: 0, timeouts: 0, socketsOpened: 0, socketsClosed: 0 },
  } as Forwarder;
}

async function setup(yamlExtra = '') {
  const yaml = `access: { allow: [127.0.0.0/8], action: refuse }\nlists:\n  - file: ${path.join(fixtures, 'good.list')}\n${yamlExtra}`;
  const config = parseConfig(yaml, path.join(fixtures, 'hradba.yaml'));
  const { snapshot } = await buildSnapshot(config, 1);
  await snapshot.forwarder.close();
  const calls: Buffer[] = [];
  const snap: Snapshot = { ...snapshot, forwarder: echoForwarder(calls) };
  const outcomes: Outcome[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const handler = createQueryHandler({ current: () => snap, log, inFlight: new InFlight(), observe: (o) => outcomes.push(o) });
  return { handler, outcomes, calls, lines };
}

const rcode = (answer: Buffer | null): number | undefined => (answer === null ? undefined : answer[3]! & 0x0f);

describe('query handler', () => {
  it.each([
    { what: 'a listed name', remote: client, msg: buildQuery({ id: 1, name: 'ads.example.org', type: TYPE.A }), outcome: 'sinkholed', rcode: RCODE.NXDOMAIN, forwarded: false },
    { what: 'a subdomain of a listed name', remote: client, msg: buildQuery({ id: 2, name: 'x.Ads.Example.ORG', type: TYPE.AAAA }), outcome: 'sinkholed', rcode: RCODE.NXDOMAIN, forwarded: false },
    { what: 'an allowed name', remote: client, msg: buildQuery({ id: 3, name: 'www.example.net', type: TYPE.A }), outcome: 'forwarded', rcode: RCODE.NOERROR, forwarded: true },
    { what: 'localhost', remote: client, msg: buildQuery({ id: 4, name: 'localhost', type: TYPE.A }), outcome: 'local', rcode: RCODE.NOERROR, forwarded: false },
    { what: 'a private reverse name', remote: client, msg: buildQuery({ id: 5, name: '4.3.2.10.in-addr.arpa', type: TYPE.PTR }), outcome: 'local', rcode: RCODE.NXDOMAIN, forwarded: false },
    { what: 'a stranger', remote: stranger, msg: buildQuery({ id: 6, name: 'www.example.net', type: TYPE.A }), outcome: 'refused', rcode: RCODE.REFUSED, forwarded: false },
    { what: 'a zone transfer', remote: client, msg: buildQuery({ id: 7, name: 'example.net', type: TYPE.AXFR }), outcome: 'refused', rcode: RCODE.REFUSED, forwarded: false },
    { what: 'a packet too short for a header', remote: client, msg: Buffer.alloc(5), outcome: 'dropped', rcode: undefined, forwarded: false },
  ])('$what → $outcome', async ({ remote, msg, outcome, rcode: want, forwarded }) => {
    const h = await setup();
    const answer = await h.handler(msg, remote);
    expect(h.outcomes).toEqual([outcome]);
    expect(rcode(answer)).toBe(want);
    expect(h.calls.length).toBe(forwarded ? 1 : 0);
    if (answer !== null) expect(answer.readUInt16BE(0)).toBe(msg.readUInt16BE(0));
  });

  it('logs one sinkhole line with the provenance of the match, and none for allowed names', async () => {
    const h = await setup();
    await h.handler(buildQuery({ id: 1, name: 'www.example.net', type: TYPE.A }), client);
    await h.handler(buildQuery({ id: 2, name: 'ads.example.org', type: TYPE.A }), client);
    const sinkholes = h.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'sinkhole');
    expect(sinkholes).toHaveLength(1);
    expect(sinkholes[0]).toMatchObject({ client: '127.0.0.1', qname: 'ads.example.org', match: 'example.org', list: 'example-vendor', vendor: 'example', policyVersion: 1 });
  });

  it('drops a stranger silently with access.action drop', async () => {
    const d = await (async () => {
      const yaml = `access: { allow: [127.0.0.1/32], action: drop }\n`;
      const config = parseConfig(yaml, path.join(fixtures, 'hradba.yaml'));
      const { snapshot } = await buildSnapshot(config, 1);
      await snapshot.forwarder.close();
      const outcomes: Outcome[] = [];
      const handler = createQueryHandler({ current: () => snapshot, log: pino({ level: 'silent' }), inFlight: new InFlight(), observe: (o) => outcomes.push(o) });
      return { answer: await handler(buildQuery({ id: 9, name: 'www.example.net', type: TYPE.A }), stranger), outcomes };
    })();
    expect(d.answer).toBeNull();
    expect(d.outcomes).toEqual(['dropped']);
  });
});
