/** The cache in the query path without sockets: a hit is answered synchronously, and policy stays above the cache. */
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
import type { ForwardResult, Forwarder } from '../../src/upstream/types.js';
import { buildReply, record } from '../helpers/fake-upstream.js';

const fixtures = fileURLToPath(new URL('../fixtures/lists/', import.meta.url));
const client: Remote = { address: '127.0.0.1', port: 5300, transport: 'udp' };

/** A forwarder answering every query with one A record (TTL 300), counting calls. */
function aForwarder(calls: Buffer[]): Forwarder {
  return {
    forward: async (query: Buffer): Promise<ForwardResult> => {
      calls.push(Buffer.from(query));
      return { ok: true, answer: buildReply(query, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] }), upstream: { host: '127.0.0.1', port: 53 }, transport: 'udp' };
    },
    close: async () => {},
    stats: { queries: 0, udpSent: 0, tcpRetries: 0, discarded: 0, attemptErrors: 0, timeouts: 0, socketsOpened: 0, socketsClosed: 0 },
  };
}

async function snapshotFor(lists: string[], version: number, prev?: Snapshot): Promise<Snapshot> {
  const listYaml = lists.map((l) => `  - file: ${path.join(fixtures, l)}\n`).join('');
  const config = parseConfig(`access: { allow: [127.0.0.0/8], action: refuse }\nlists:\n${listYaml}`, path.join(fixtures, 'hradba.yaml'));
  const { snapshot, retired } = await buildSnapshot(config, version, prev);
  await Promise.all(retired.map((f) => f.close()));
  if (prev === undefined) await snapshot.forwarder.close();
  return snapshot;
}

describe('cache in the query handler', () => {
  it('answers a hit synchronously with the client ID; a banned name is sinkholed even while cached', async () => {
    const calls: Buffer[] = [];
    const first = await snapshotFor([], 1);
    let snap: Snapshot = { ...first, forwarder: aForwarder(calls) };
    const outcomes: Outcome[] = [];
    const handler = createQueryHandler({ current: () => snap, log: pino({ level: 'silent' }), inFlight: new InFlight(), observe: (o) => outcomes.push(o) });

    const miss = handler(buildQuery({ id: 1, name: 'www.example.org', type: TYPE.A }), client);
    expect(miss).toBeInstanceOf(Promise);
    expect(((await miss) as Buffer)[3]! & 0x0f).toBe(RCODE.NOERROR);

    const hit = handler(buildQuery({ id: 2, name: 'WWW.example.org', type: TYPE.A }), client);
    expect(Buffer.isBuffer(hit)).toBe(true);
    expect((hit as Buffer).readUInt16BE(0)).toBe(2);
    expect(calls.length).toBe(1);

    // A reload that bans example.org keeps the cache (same stage) and still sinkholes the cached name.
    const reloaded = await snapshotFor(['good.list'], 2, first);
    expect(reloaded.stage).toBe(first.stage);
    snap = { ...reloaded, forwarder: snap.forwarder };
    const banned = (await handler(buildQuery({ id: 3, name: 'www.example.org', type: TYPE.A }), client)) as Buffer;
    expect(banned[3]! & 0x0f).toBe(RCODE.NXDOMAIN);
    expect(outcomes).toEqual(['forwarded', 'forwarded', 'sinkholed']);
    expect(calls.length).toBe(1);
  });
});
