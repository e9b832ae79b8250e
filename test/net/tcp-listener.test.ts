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

  it('refuses connections beyond the cap', async () => {
    const l = await start({ maxConnections: 1 });
    const first = await connect(l.port);
    const firstReplies = readReplies(first, 1);
    first.write(framed(message(1)));
    expect(await firstReplies).toEqual([1]);
    const second = await connect(l.port);
    const replies = readReplies(second, 1);
    second.write(framed(message(2)));
    expect(await replies).toEqual([]);
    first.destroy();
  });
});
