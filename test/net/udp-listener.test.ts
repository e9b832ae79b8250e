import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startUdpListener } from '../../src/net/udp-listener.js';
import type { Listener, QueryHandler, Remote } from '../../src/net/types.js';

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

/** Sends one datagram and resolves with the reply, or null when none came within `waitMs`. */
function ask(port: number, msg: Buffer, host = '127.0.0.1', waitMs = 300): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, waitMs);
    s.on('message', (reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    });
    s.send(msg, port, host);
  });
}

describe('UDP listener', () => {
  it('answers synchronous and asynchronous handler results, and sends nothing for null', async () => {
    const seen: Remote[] = [];
    const handler: QueryHandler = (msg, remote) => {
      seen.push(remote);
      const tag = msg[0];
      if (tag === 1) return Buffer.from('sync');
      if (tag === 2) return Promise.resolve(Buffer.from('async'));
      return null;
    };
    listener = await startUdpListener({ address: { host: '127.0.0.1', port: 0 }, handler, onError: () => {} });
    expect((await ask(listener.port, Buffer.from([1])))?.toString()).toBe('sync');
    expect((await ask(listener.port, Buffer.from([2])))?.toString()).toBe('async');
    expect(await ask(listener.port, Buffer.from([3]))).toBeNull();
    expect(seen[0]).toMatchObject({ address: '127.0.0.1', transport: 'udp' });
    expect(seen[0]?.port).toBeGreaterThan(0);
  });

  it('serves IPv6 on ::1', async () => {
    listener = await startUdpListener({
      address: { host: '::1', port: 0 },
      handler: () => Buffer.from('six'),
      onError: () => {},
    });
    expect(listener.description).toMatch(/^udp \[::1\]:\d+$/);
    expect((await ask(listener.port, Buffer.from([1]), '::1'))?.toString()).toBe('six');
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    listener = await startUdpListener({ address: { host: '127.0.0.1', port: 0 }, handler: () => null, onError: () => {} });
    await expect(
      startUdpListener({ address: { host: '127.0.0.1', port: listener.port }, handler: () => null, onError: () => {} }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
