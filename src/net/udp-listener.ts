/** UDP listener: one datagram in, at most one datagram out (the handler has already fitted it to the client's limit); a failed send never stops the socket. */
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { HostPort } from '../config/types.js';
import type { Listener, QueryHandler, Remote } from './types.js';

export interface UdpListenerOptions {
  readonly address: HostPort;
  readonly handler: QueryHandler;
  /** Called for errors that do not concern one query (e.g. a send failure), so they reach the log. */
  readonly onError: (err: Error) => void;
  /** Share the address with the other serving threads (SO_REUSEPORT): the kernel spreads queries over them. */
  readonly reusePort?: boolean;
}

/** A bigger kernel receive buffer rides out bursts instead of dropping datagrams. */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** The last address literalLookup found to be an IP literal, and its family (4 or 6). */
let lastLiteral = '';
let lastLiteralKind = 0;

/**
 * Replies go to the address a datagram came from, always an IP literal: handing it back at once spares every send
 * the default lookup's deferral to the next tick (dns.lookup answers a literal only asynchronously).
 */
function literalLookup(address: string, family: number | LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // Answers mostly go back to the client of the last one: its address text was read as a literal already.
  if (address === lastLiteral) {
    callback(null, address, lastLiteralKind);
    return;
  }
  const kind = isIP(address);
  if (kind !== 0) {
    lastLiteral = address;
    lastLiteralKind = kind;
    callback(null, address, kind);
  } else dnsLookup(address, typeof family === 'number' ? { family } : family, callback);
}

/** startUdpListener binds a UDP socket and resolves once it is bound (rejects with the bind error). */
export function startUdpListener(opts: UdpListenerOptions): Promise<Listener> {
  const { address, handler, onError } = opts;
  const v6 = isIPv6(address.host);
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reusePort: opts.reusePort === true, lookup: literalLookup });
  const description = `udp ${v6 ? `[${address.host}]` : address.host}:${address.port}`;

  /** Sends an answer; `sent` runs once the datagram has left (or failed), not before. */
  const reply = (answer: Buffer | null, rinfo: dgram.RemoteInfo, sent: () => void): void => {
    if (answer === null) {
      sent();
      return;
    }
    socket.send(answer, rinfo.port, rinfo.address, (err) => {
      if (err) onError(err);
      sent();
    });
  };

  // Closing stops taking queries at once, but the socket stays open until the answers of queries already taken
  // (waiting for an upstream) have been sent: they leave from this socket.
  let closing = false;
  let pending = 0;
  let drained: (() => void) | null = null;
  const settle = (): void => {
    pending--;
    if (pending === 0 && drained !== null) drained();
  };

  socket.on('message', (msg, rinfo) => {
    if (closing) return;
    const remote: Remote = { address: rinfo.address, port: rinfo.port, transport: 'udp' };
    const result = handler(msg, remote);
    if (result instanceof Promise) {
      pending++;
      result.then(
        (answer) => reply(answer, rinfo, settle),
        (err: unknown) => {
          onError(err instanceof Error ? err : new Error(String(err)));
          settle();
        },
      );
    } else if (result !== null) {
      // An answer of this turn (sinkhole, cache hit) goes without a callback, as the plainest responder sends: no
      // closure and no completion per answer. A refused send (a full socket buffer under a flood) loses that one
      // datagram unreported; the client retries. Answers that waited for an upstream keep the callback below.
      socket.send(result, rinfo.port, rinfo.address);
    }
  });

  return new Promise<Listener>((resolve, reject) => {
    const onBindError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to close.
      }
      reject(Object.assign(err, { listener: description }));
    };
    socket.once('error', onBindError);
    socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
      socket.off('error', onBindError);
      socket.on('error', onError);
      try {
        socket.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        // The kernel may cap the size (net.core.rmem_max); the default still works.
      }
      const bound = socket.address();
      resolve({
        description: `udp ${v6 ? `[${bound.address}]` : bound.address}:${bound.port}`,
        port: bound.port,
        close: async () => {
          closing = true;
          if (pending > 0) await new Promise<void>((done) => (drained = done));
          await new Promise<void>((done) => socket.close(() => done()));
        },
      });
    });
  });
}
