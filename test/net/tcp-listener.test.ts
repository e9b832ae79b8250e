import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpListener } from '../../src/net/tcp-listener.js';
import type { Listener, QueryHandler } from '../../src/net/types.js';

/** A message of `size` bytes whose first two bytes carry `id` (enough for the echo handler below). */
function message(id: number, size = 12): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16BE(id, 0);
  return b;
}

function framed(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

/** Reads framed replies until `count` arrived or the connection closed; returns their IDs in arrival order. */
function readReplies(socket: net.Socket, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const ids: number[] = [];
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        ids.push(buf.readUInt16BE(2));
        buf = buf.subarray(2 + len);
      }
      if (ids.length >= count) resolve(ids);
    });
    socket.on('close', () => resolve(ids));
  });
}

/**
 * Echo handler: a message shorter than 12 bytes is "malformed" and gets no answer; IDs >= 100 answer after a
 * delay so that later queries overtake them; others answer at once.
 */
const echo: QueryHandler = (msg) => {
  if (msg.length < 12) return null;
  const id = msg.readUInt16BE(0);
  if (id >= 100) return new Promise((resolve) => setTimeout(() => resolve(Buffer.from(msg)), 30));
  return Buffer.from(msg);
};

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(overrides: Partial<Parameters<typeof startTcpListener>[0]> = {}): Promise<Listener> {
  listener = await startTcpListener({
    address: { host: '127.0.0.1', port: 0 },
    handler: echo,
    idleTimeoutMs: 2000,
    maxConnections: 10,
    maxPipelined: 100,
    onError: () => {},
    ...overrides,
  });
  return listener;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Connects, sends one query and resolves with what came back before the server closed (or reset) it. */
function refusedOrAnswered(port: number, id: number): Promise<number[]> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    const replies = readReplies(s, 1);
    s.on('connect', () => s.write(framed(message(id))));
    void replies.then((ids) => {
      s.destroy();
      resolve(ids);
    });
  });
}

describe('TCP listener (RFC 7766)', () => {
  it('answers pipelined queries as they complete, out of order', async () => {
    const l = await start();
    const s = await connect(l.port);
    const replies = readReplies(s, 3);
    s.write(Buffer.concat([framed(message(100)), framed(message(1)), framed(message(2))]));
    expect(await replies).toEqual([1, 2, 100]);
    s.destroy();
  });

  it('reassembles frames split across many writes, one byte at a time', async () => {
    const l = await start();
    const s = await connect(l.port);
    const replies = readReplies(s, 2);
    const bytes = Buffer.concat([framed(message(7, 40)), framed(message(8, 12))]);
    for (const byte of bytes) {
      s.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await replies).toEqual([7, 8]);
    s.destroy();
  });

  it('keeps the connection and the queries behind a malformed message', async () => {
    const l = await start();
    const s = await connect(l.port);
    const replies = readReplies(s, 2);
    s.write(Buffer.concat([framed(message(1)), framed(Buffer.alloc(5)), framed(Buffer.alloc(0)), framed(message(2))]));
    expect(await replies).toEqual([1, 2]);
    s.destroy();
  });

  it('keeps serving when the handler throws for one message', async () => {
    const thrower: QueryHandler = (msg) => {
      if (msg.readUInt16BE(0) === 66) throw new Error('bug');
      return Buffer.from(msg);
    };
    const errors: Error[] = [];
    const l = await start({ handler: thrower, onError: (e) => errors.push(e) });
    const s = await connect(l.port);
    const replies = readReplies(s, 2);
    s.write(Buffer.concat([framed(message(1)), framed(message(66)), framed(message(3))]));
    expect(await replies).toEqual([1, 3]);
    expect(errors.map((e) => e.message)).toEqual(['bug']);
    s.destroy();
  });

  it('answers everything before closing a half-closed connection', async () => {
    const l = await start();
    const s = await connect(l.port);
    const replies = readReplies(s, 99);
    s.end(Buffer.concat([framed(message(100)), framed(message(5))]));
    expect(await replies).toEqual([5, 100]);
  });

  it('closes an idle connection after the idle timeout', async () => {
    const l = await start({ idleTimeoutMs: 100 });
    const s = await connect(l.port);
    const closed = new Promise<boolean>((resolve) => s.on('close', () => resolve(true)));
    s.resume();
    expect(await closed).toBe(true);
  });

  it('sheds the connection idle the longest when the table is full, keeping the busy and the recent ones', async () => {
    const closedBy: string[] = [];
    const l = await start({ maxConnections: 3, onClosed: (reason) => closedBy.push(reason) });
    const oldest = await connect(l.port);
    const busy = await connect(l.port);
    const recent = await connect(l.port);
    const oldestClosed = new Promise<boolean>((resolve) => oldest.on('close', () => resolve(true)));
    // `busy` is the least recently active but has a query in progress: it must not be the one shed.
    const busyReply = readReplies(busy, 1);
    busy.write(framed(message(100)));
    await new Promise((r) => setTimeout(r, 5));
    const recentReply = readReplies(recent, 1);
    recent.write(framed(message(3)));
    expect(await recentReply).toEqual([3]);
    const newcomer = await connect(l.port);
    const replies = readReplies(newcomer, 1);
    newcomer.write(framed(message(4)));
    expect(await replies).toEqual([4]);
    expect(await oldestClosed).toBe(true);
    expect(await busyReply).toEqual([100]);
    expect(closedBy).toEqual(['shed']);
    for (const s of [busy, recent, newcomer]) s.destroy();
  });

  it('refuses a new connection when every connection has a query in progress', async () => {
    const closedBy: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<Buffer>((resolve) => (release = () => resolve(message(9))));
    const l = await start({ maxConnections: 1, handler: () => held, onClosed: (reason) => closedBy.push(reason) });
    const first = await connect(l.port);
    const firstReplies = readReplies(first, 1);
    first.write(framed(message(9)));
    await new Promise((r) => setTimeout(r, 20));
    expect(await refusedOrAnswered(l.port, 2)).toEqual([]);
    release();
    expect(await firstReplies).toEqual([9]);
    expect(closedBy).toEqual(['limit']);
    first.destroy();
  });

  it('closes a source over its own cap at accept, and lets it in again once one of its connections closes', async () => {
    const closedBy: string[] = [];
    const l = await start({ maxConnectionsPerClient: 2, onClosed: (reason, address) => closedBy.push(`${reason} ${address}`) });
    const a = await connect(l.port);
    const b = await connect(l.port);
    expect(await refusedOrAnswered(l.port, 3)).toEqual([]);
    expect(closedBy).toEqual(['client-limit 127.0.0.1']);
    const aClosed = new Promise((resolve) => a.on('close', resolve));
    a.destroy();
    await aClosed;
    await new Promise((r) => setTimeout(r, 20));
    const again = await connect(l.port);
    const replies = readReplies(again, 1);
    again.write(framed(message(5)));
    expect(await replies).toEqual([5]);
    for (const s of [b, again]) s.destroy();
  });

  it('closes a source that admit() refuses at accept, without reading from it', async () => {
    const asked: string[] = [];
    let handled = 0;
    const l = await start({
      admit: (address) => (asked.push(address), false),
      handler: (msg) => (handled++, Buffer.from(msg)),
    });
    expect(await refusedOrAnswered(l.port, 1)).toEqual([]);
    expect(asked).toEqual(['127.0.0.1']);
    expect(handled).toBe(0);
  });

  it('cuts a frame not finished within frameTimeoutMs, however steadily its bytes trickle in', async () => {
    const closedBy: string[] = [];
    const l = await start({ idleTimeoutMs: 60_000, frameTimeoutMs: 150, onClosed: (reason) => closedBy.push(reason) });
    const s = await connect(l.port);
    let closed = false;
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    // A 257-byte frame, one byte per 20 ms (5 s in all), against a 150 ms deadline.
    for (let i = 0; i < 250 && !closed; i++) {
      s.write(Buffer.from([1]));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closed).toBe(true);
    expect(closedBy).toEqual(['frame-timeout']);
  });

  it('lets idleTimeoutMs run from the last query, not from the last byte', async () => {
    const l = await start({ idleTimeoutMs: 150, frameTimeoutMs: 60_000 });
    const s = await connect(l.port);
    let closed = false;
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    s.resume();
    // Empty frames every 20 ms (5 s in all) are no queries: the connection must idle out all the same.
    for (let i = 0; i < 250 && !closed; i++) {
      s.write(Buffer.alloc(2));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closed).toBe(true);
  });

  it('keeps a connection whose queries keep coming past the idle timeout', async () => {
    // 20 queries 100 ms apart (2 s in all) against a 1 s idle timeout: each one restarts it.
    const l = await start({ idleTimeoutMs: 1000, frameTimeoutMs: 1000 });
    const s = await connect(l.port);
    const all = readReplies(s, 20);
    for (let i = 0; i < 20; i++) {
      s.write(framed(message(i + 1)));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await all).length).toBe(20);
    s.destroy();
  });
});
