/**
 * A slow-TCP load for the exhaustion tests: many loopback connections from one source address, each sending one
 * byte at a time (a frame that never completes), reconnecting after the server closes them. Bounded in
 * connections, duration and reconnects.
 */
import net from 'node:net';

const ONE_BYTE = Buffer.from([1]);

export interface TrickleOptions {
  readonly port: number;
  readonly host?: string;
  /** The source address every connection binds (e.g. 127.0.0.2). */
  readonly from: string;
  /** Connections kept open at once (each one reopened after the server closes it). */
  readonly connections: number;
  /** One byte per connection this often. */
  readonly byteIntervalMs: number;
  /** Wait this long before reopening a connection the server closed. */
  readonly reconnectMs: number;
  /** Connections opened per 10 ms while ramping up, so the listen backlog is not the bottleneck. */
  readonly rampPer10ms?: number;
}

export interface TrickleStats {
  /** Connections that completed the handshake. */
  established: number;
  /** Connections the server closed (or reset). */
  closedByServer: number;
  /** Connect attempts that failed. */
  failed: number;
  /** Bytes written. */
  bytes: number;
  /** Most connections open at one time. */
  peakOpen: number;
}

export interface Trickle {
  readonly stats: TrickleStats;
  /** Open connections now. */
  open(): number;
  /** Resolves once every connection was opened at least once. */
  readonly rampedUp: Promise<void>;
  /** Stops reconnecting and destroys every connection. */
  stop(): void;
}

/** startTrickle opens the connections and keeps them trickling until stop(). */
export function startTrickle(opts: TrickleOptions): Trickle {
  const stats: TrickleStats = { established: 0, closedByServer: 0, failed: 0, bytes: 0, peakOpen: 0 };
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let openNow = 0;
  let started = 0;
  let rampDone: () => void = () => {};
  const rampedUp = new Promise<void>((done) => (rampDone = done));

  const later = (fn: () => void, ms: number): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const openOne = (): void => {
    if (stopped) return;
    const socket = net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port, localAddress: opts.from });
    sockets.add(socket);
    let connected = false;
    let ticker: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      connected = true;
      stats.established++;
      openNow++;
      stats.peakOpen = Math.max(stats.peakOpen, openNow);
      ticker = setInterval(() => {
        if (!socket.destroyed && socket.writable) {
          // 0x01 bytes: a length prefix of 257, then its message one byte at a time: the frame never completes.
          socket.write(ONE_BYTE);
          stats.bytes++;
        }
      }, opts.byteIntervalMs);
      socket.write(ONE_BYTE);
      stats.bytes++;
    });
    socket.on('error', () => {
      // Resets and refused connects are what this load expects; 'close' follows.
    });
    socket.on('close', () => {
      clearInterval(ticker);
      sockets.delete(socket);
      if (connected) {
        openNow--;
        if (!stopped) stats.closedByServer++;
      } else if (!stopped) {
        stats.failed++;
      }
      if (!stopped) later(openOne, opts.reconnectMs);
    });
  };

  const perTick = opts.rampPer10ms ?? 20;
  const ramp = (): void => {
    if (stopped) return rampDone();
    for (let i = 0; i < perTick && started < opts.connections; i++, started++) openOne();
    if (started < opts.connections) later(ramp, 10);
    else rampDone();
  };
  ramp();

  return {
    stats,
    open: () => openNow,
    rampedUp,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}
