/**
 * TCP listener per RFC 7766: 2-byte length framing across partial reads, pipelined queries answered
 * as they complete (out of order), an idle timeout, a cap on connections and on queries in progress per
 * connection. One bad message costs only itself: the connection and the queries behind it go on.
 */
import net from 'node:net';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/types.js';
import type { Listener, QueryHandler, Remote } from './types.js';

export interface TcpListenerOptions {
  readonly address: HostPort;
  readonly handler: QueryHandler;
  /** A connection with no query in progress is closed after this long without a new one. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** Reading pauses while this many queries of one connection are in progress. */
  readonly maxPipelined: number;
  readonly onError: (err: Error) => void;
  /** Share the address with the other serving threads (SO_REUSEPORT): the kernel spreads queries over them. */
  readonly reusePort?: boolean;
}

/** Frames one answer: the 2-byte length prefix and the message in one write. */
function frame(answer: Buffer): Buffer {
  const out = Buffer.allocUnsafe(answer.length + 2);
  out.writeUInt16BE(answer.length, 0);
  answer.copy(out, 2);
  return out;
}

/**
 * Serves one connection until the peer closes it, it idles out, or the listener shuts down.
 * Returns the function that ends the connection once no query of it is in progress.
 */
function serveConnection(socket: net.Socket, opts: TcpListenerOptions, closing: () => boolean): () => void {
  const { handler, maxPipelined, onError } = opts;
  const remote: Remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: 'tcp' };
  let pending: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  let peerEnded = false;

  socket.setNoDelay(true);
  // The idle timer only fires while nothing is in progress (RFC 7766 §6.2.3: idle = no pending queries).
  socket.setTimeout(opts.idleTimeoutMs, () => {
    if (inFlight === 0) socket.destroy();
  });
  socket.on('error', () => {
    // A reset peer is routine; the socket is destroyed by Node after 'error'.
  });

  const finishIfDone = (): void => {
    if (inFlight === 0 && (peerEnded || closing())) socket.end();
  };

  const send = (answer: Buffer | null): void => {
    inFlight--;
    if (answer !== null && !socket.destroyed && socket.writable) socket.write(frame(answer));
    if (socket.isPaused() && inFlight < maxPipelined && !socket.writableNeedDrain) socket.resume();
    finishIfDone();
  };

  const dispatch = (msg: Buffer): void => {
    inFlight++;
    let result: Buffer | null | Promise<Buffer | null>;
    try {
      result = handler(msg, remote);
    } catch (err) {
      onError(err as Error);
      result = null;
    }
    if (result instanceof Promise) {
      result.then(send, (err: unknown) => {
        onError(err as Error);
        send(null);
      });
    } else {
      send(result);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 2) {
      const length = pending.readUInt16BE(offset);
      if (pending.length - offset - 2 < length) break;
      // Copy the message out: the chunk buffer is reused by later concatenations.
      const msg = Buffer.from(pending.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
      if (length > 0) dispatch(msg);
    }
    pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
    if (inFlight >= maxPipelined || socket.writableNeedDrain) socket.pause();
  });
  socket.on('drain', () => {
    if (inFlight < maxPipelined) socket.resume();
  });
  socket.on('end', () => {
    peerEnded = true;
    finishIfDone();
  });
  return finishIfDone;
}

/** startTcpListener binds a TCP server and resolves once it listens (rejects with the bind error). */
export function startTcpListener(opts: TcpListenerOptions): Promise<Listener> {
  const { address } = opts;
  const v6 = isIPv6(address.host);
  const description = `tcp ${v6 ? `[${address.host}]` : address.host}:${address.port}`;
  /** Open connections, each with the function that ends it once idle. */
  const connections = new Map<net.Socket, () => void>();
  let closing = false;

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    connections.set(socket, serveConnection(socket, opts, () => closing));
    socket.once('close', () => connections.delete(socket));
  });
  server.maxConnections = opts.maxConnections;

  return new Promise<Listener>((resolve, reject) => {
    const onListenError = (err: Error): void => reject(Object.assign(err, { listener: description }));
    server.once('error', onListenError);
    server.listen({ host: address.host, port: address.port, ipv6Only: v6, exclusive: true, reusePort: opts.reusePort === true }, () => {
      server.off('error', onListenError);
      server.on('error', opts.onError);
      const bound = server.address() as net.AddressInfo;
      resolve({
        description: `tcp ${v6 ? `[${bound.address}]` : bound.address}:${bound.port}`,
        port: bound.port,
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            server.close(() => done());
            // Idle connections end now; busy ones end as soon as their last answer is written.
            for (const endIfIdle of connections.values()) endIfIdle();
          }),
      });
    });
  });
}
