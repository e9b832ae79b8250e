/**
 * TCP listener per RFC 7766: 2-byte length framing across partial reads, pipelined queries answered
 * as they complete (out of order), a cap on queries in progress per connection. One bad message costs only
 * itself: the connection and the queries behind it go on.
 *
 * Connections are a shared resource that strangers must not be able to take: a source outside the access list is
 * closed at accept, one source holds at most its own cap, a frame must arrive whole within its deadline, and the
 * idle timeout runs from the last query or answer, so bytes trickling in extend neither. When the table is full, the
 * connection idle the longest is shed to make room (as Unbound and BIND do) rather than refusing the newcomer.
 */
import net from 'node:net';
import { isIPv6 } from 'node:net';
import type { HostPort } from '../config/types.js';
import type { Listener, QueryHandler, Remote } from './types.js';

/**
 * Why the listener closed a connection itself: outside the access list, over its source's cap, over the total cap
 * with nothing idle to shed, shed to make room for a new one, or a frame not finished within its deadline.
 */
export const TCP_CLOSE_REASONS = ['access', 'client-limit', 'limit', 'shed', 'frame-timeout'] as const;
export type TcpCloseReason = (typeof TCP_CLOSE_REASONS)[number];

/** The limits a connection is served under (config `tcp`). */
export interface TcpLimits {
  /** A connection with no query in progress is closed this long after its last query or answer. */
  readonly idleTimeoutMs: number;
  /** A frame (length prefix and message) must arrive whole within this long of its first byte; default idleTimeoutMs. */
  readonly frameTimeoutMs?: number;
  readonly maxConnections: number;
  /** Open connections of one source address at most; default: no cap of its own. */
  readonly maxConnectionsPerClient?: number;
  /** Reading pauses while this many queries of one connection are in progress. */
  readonly maxPipelined: number;
}

export interface TcpListenerOptions extends TcpLimits {
  readonly address: HostPort;
  readonly handler: QueryHandler;
  /** The limits in force, read at each accept (a reload's values apply to the connections after it); default: the fields above. */
  readonly limits?: () => TcpLimits;
  readonly onError: (err: Error) => void;
  /** Share the address with the other serving threads (SO_REUSEPORT): the kernel spreads queries over them. */
  readonly reusePort?: boolean;
  /** Whether a source may connect at all (the access list in force); asked once per accepted connection. */
  readonly admit?: (address: string) => boolean;
  /** Told of every connection the listener closes for a reason of its own (not the routine idle close). */
  readonly onClosed?: (reason: TcpCloseReason, address: string) => void;
}

/** Frames one answer: the 2-byte length prefix and the message in one write. */
function frame(answer: Buffer): Buffer {
  const out = Buffer.allocUnsafe(answer.length + 2);
  out.writeUInt16BE(answer.length, 0);
  answer.copy(out, 2);
  return out;
}

/** One open connection, as the listener's table knows it. */
interface Connection {
  readonly socket: net.Socket;
  readonly source: string;
  /** Queries of this connection in progress. */
  inFlight: number;
  /** Ends the connection once no query of it is in progress (at shutdown). */
  endIfIdle: () => void;
}

/** The callbacks a connection uses to tell the listener's table what it does. */
interface ConnectionHooks {
  readonly closing: () => boolean;
  /** A complete query arrived: the connection becomes the most recently active one. */
  readonly touched: (conn: Connection) => void;
  readonly timedOut: (conn: Connection) => void;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Serves one connection until the peer closes it, it idles out, a frame misses its deadline, or the listener shuts
 * down. One timer per connection; it is moved only when a partial frame begins, and otherwise re-armed when it fires,
 * so a query costs no timer operation.
 */
function serveConnection(socket: net.Socket, source: string, limits: TcpLimits, opts: TcpListenerOptions, hooks: ConnectionHooks): Connection {
  const { handler, onError } = opts;
  const { maxPipelined, idleTimeoutMs } = limits;
  const frameTimeoutMs = limits.frameTimeoutMs ?? idleTimeoutMs;
  const remote: Remote = { address: source, port: socket.remotePort ?? 0, transport: 'tcp' };
  let pending: Buffer = NO_BYTES;
  let peerEnded = false;
  /** When the last query arrived or the last answer went out (idle is measured from it). */
  let lastActive = Date.now();
  /** When the first byte of the frame now being read arrived; -1 between frames. */
  let frameStart = -1;
  /** When the timer will fire. */
  let armedFor = 0;
  let timer: NodeJS.Timeout | undefined;

  const conn: Connection = { socket, source, inFlight: 0, endIfIdle: () => finishIfDone() };

  const arm = (ms: number): void => {
    clearTimeout(timer);
    armedFor = Date.now() + ms;
    timer = setTimeout(onTimer, ms);
    timer.unref();
  };
  const onTimer = (): void => {
    if (socket.destroyed) return;
    const now = Date.now();
    // While reading is paused for our own answers, the unread frame is not the client's delay.
    if (frameStart >= 0 && socket.isPaused()) frameStart = now;
    if (frameStart >= 0 && now - frameStart >= frameTimeoutMs) {
      hooks.timedOut(conn);
      socket.destroy();
      return;
    }
    // RFC 7766 §6.2.3: idle means no query in progress; a frame being read has its own deadline above.
    if (conn.inFlight === 0 && frameStart < 0 && now - lastActive >= idleTimeoutMs) {
      socket.destroy();
      return;
    }
    const idleLeft = conn.inFlight === 0 ? lastActive + idleTimeoutMs - now : idleTimeoutMs;
    const frameLeft = frameStart >= 0 ? frameStart + frameTimeoutMs - now : Infinity;
    arm(Math.max(1, Math.min(idleLeft, frameLeft)));
  };
  arm(idleTimeoutMs);

  socket.setNoDelay(true);
  socket.on('error', () => {
    // A reset peer is routine; the socket is destroyed by Node after 'error'.
  });
  socket.once('close', () => clearTimeout(timer));

  const finishIfDone = (): void => {
    if (conn.inFlight === 0 && (peerEnded || hooks.closing())) socket.end();
  };

  const send = (answer: Buffer | null): void => {
    conn.inFlight--;
    lastActive = Date.now();
    if (answer !== null && !socket.destroyed && socket.writable) socket.write(frame(answer));
    if (socket.isPaused() && conn.inFlight < maxPipelined && !socket.writableNeedDrain) socket.resume();
    finishIfDone();
  };

  const dispatch = (msg: Buffer): void => {
    conn.inFlight++;
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
    let queries = 0;
    while (pending.length - offset >= 2) {
      const length = pending.readUInt16BE(offset);
      if (pending.length - offset - 2 < length) break;
      // Copy the message out: the chunk buffer is reused by later concatenations.
      const msg = Buffer.from(pending.subarray(offset + 2, offset + 2 + length));
      offset += 2 + length;
      // An empty frame is no query: it neither gets an answer nor counts as activity.
      if (length > 0) {
        queries++;
        dispatch(msg);
      }
    }
    if (offset > 0) frameStart = -1;
    pending = offset === pending.length ? NO_BYTES : pending.subarray(offset);
    if (queries > 0) {
      lastActive = Date.now();
      hooks.touched(conn);
    }
    if (pending.length > 0 && frameStart < 0) {
      // A frame has begun and not ended: it must end by its deadline, whatever trickles in meanwhile.
      frameStart = Date.now();
      if (frameStart + frameTimeoutMs < armedFor) arm(frameTimeoutMs);
    }
    if (conn.inFlight >= maxPipelined || socket.writableNeedDrain) socket.pause();
  });
  socket.on('drain', () => {
    if (conn.inFlight < maxPipelined) socket.resume();
  });
  socket.on('end', () => {
    peerEnded = true;
    finishIfDone();
  });
  return conn;
}

/** startTcpListener binds a TCP server and resolves once it listens (rejects with the bind error). */
export function startTcpListener(opts: TcpListenerOptions): Promise<Listener> {
  const { address, admit, onClosed } = opts;
  const limitsNow = opts.limits ?? ((): TcpLimits => opts);
  const v6 = isIPv6(address.host);
  const description = `tcp ${v6 ? `[${address.host}]` : address.host}:${address.port}`;
  /** Open connections, least recently active first (a connection moves to the end with each query). */
  const connections = new Map<net.Socket, Connection>();
  /** Open connections per source address. */
  const perSource = new Map<string, number>();
  let closing = false;

  /** Takes a connection out of the table; called once it closes, or at once when it is shed. */
  const forget = (conn: Connection): void => {
    if (!connections.delete(conn.socket)) return;
    const n = perSource.get(conn.source) ?? 1;
    if (n <= 1) perSource.delete(conn.source);
    else perSource.set(conn.source, n - 1);
  };
  const hooks: ConnectionHooks = {
    closing: () => closing,
    touched: (conn) => {
      connections.delete(conn.socket);
      connections.set(conn.socket, conn);
    },
    timedOut: (conn) => onClosed?.('frame-timeout', conn.source),
  };
  /** Refuses a connection at accept: a reset, so no state of it lingers on our side. */
  const refuse = (socket: net.Socket, reason: TcpCloseReason, source: string): void => {
    socket.on('error', () => {});
    socket.resetAndDestroy();
    onClosed?.(reason, source);
  };
  /** Closes the least recently active connection with nothing in progress; false when every one is busy. */
  const shedOldestIdle = (): boolean => {
    for (const conn of connections.values()) {
      // An answer still being written is in progress too: shedding would lose it.
      if (conn.inFlight > 0 || conn.socket.writableLength > 0) continue;
      forget(conn);
      conn.socket.destroy();
      onClosed?.('shed', conn.source);
      return true;
    }
    return false;
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const source = socket.remoteAddress ?? '';
    if (admit !== undefined && !admit(source)) return refuse(socket, 'access', source);
    const limits = limitsNow();
    const fromSource = perSource.get(source) ?? 0;
    if (fromSource >= (limits.maxConnectionsPerClient ?? Infinity)) return refuse(socket, 'client-limit', source);
    if (connections.size >= limits.maxConnections && !shedOldestIdle()) return refuse(socket, 'limit', source);
    perSource.set(source, fromSource + 1);
    const conn = serveConnection(socket, source, limits, opts, hooks);
    connections.set(socket, conn);
    socket.once('close', () => forget(conn));
  });

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
            for (const conn of connections.values()) conn.endIfIdle();
          }),
      });
    });
  });
}
