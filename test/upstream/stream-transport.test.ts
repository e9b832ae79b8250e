/** TCP transport details with a hand-made server: replies out of order, and a connection closed by the server under a query. */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRandomSource } from '../../src/upstream/random-source.js';
import { createStreamTransport } from '../../src/upstream/stream-transport.js';
import type { Transport } from '../../src/upstream/transport.js';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';
import { buildQuery, buildReply } from '../helpers/fake-upstream.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/** A TCP DNS server; `onQuery` decides per query (with its number on the connection) what to do. */
async function server(onQuery: (socket: Socket, query: Buffer, n: number) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const srv: Server = createServer((socket) => {
    connections++;
    let n = 0;
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        onQuery(socket, Buffer.from(q), n++);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  cleanup.push(() => new Promise((resolve) => srv.close(() => resolve())));
  return { port, connections: () => connections };
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

function transport(port: number): Transport {
  const u = upstreamOrError(`tcp://127.0.0.1:${port}`);
  if ('error' in u) throw new Error(u.error);
  const t = createStreamTransport(u, createRandomSource());
  cleanup.push(() => t.close());
  return t;
}

const q = (name: string) => buildQuery({ id: 0, name, type: 1 });

describe('stream transport', () => {
  it('matches replies that come back in another order than the queries went out', async () => {
    const held: [Socket, Buffer][] = [];
    const s = await server((socket, query) => {
      held.push([socket, query]);
      if (held.length === 3) for (const [sock, qq] of held.reverse()) sock.write(frame(buildReply(qq)));
    });
    const t = transport(s.port);
    const names = ['a.example', 'b.example', 'c.example'];
    const replies = await Promise.all(names.map((n) => t.exchange(q(n).msg, q(n).questionEnd, 2000).promise));
    replies.forEach((r, i) => expect(r?.includes(Buffer.from(names[i]!.split('.')[0]!))).toBe(true));
    expect(s.connections()).toBe(1);
  });

  it('sends a query again on a new connection when the server closes a used one under it', async () => {
    const s = await server((socket, query, n) => {
      if (n === 0) socket.write(frame(buildReply(query)));
      else socket.destroy(); // an idle-closing server: the second query on a connection is never answered
    });
    const t = transport(s.port);
    expect(await t.exchange(q('one.example').msg, q('one.example').questionEnd, 2000).promise).not.toBeNull();
    const second = await t.exchange(q('two.example').msg, q('two.example').questionEnd, 2000).promise;
    expect(second).not.toBeNull();
    expect(s.connections()).toBe(2);
  });

  it('gives up (null) when a fresh connection is closed without any answer', async () => {
    const s = await server((socket) => socket.destroy());
    const t = transport(s.port);
    expect(await t.exchange(q('x.example').msg, q('x.example').questionEnd, 2000).promise).toBeNull();
    expect(s.connections()).toBe(1);
    expect(t.inFlight).toBe(0);
  });
});
