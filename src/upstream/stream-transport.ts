/**
 * DNS over TCP and over TLS (RFC 7766, RFC 7858) to one upstream on one reused connection: queries are pipelined
 * under distinct random IDs, replies may come in any order and are matched by ID and question.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Upstream } from '../config/types.js';
import type { RandomSource } from './random-source.js';
import { isAnswerTo } from './reply-match.js';
import { connectTls } from './tls-check.js';
import type { TlsOptions, Transport, TransportExchange } from './transport.js';

/** Close a connection with nothing in flight after this long (RFC 7766 §6.2.3: clients should close idle ones). */
const IDLE_MS = 20_000;
const ID_TRIES = 32;

/** How a pending query ended without an answer: its own deadline or cancel, or the connection closing under it. */
type Ending = 'answer' | 'gone' | 'closed';

class Pending {
  timer: NodeJS.Timeout | null = null;
  resolve!: (reply: Buffer | null, ending: Ending) => void;
  constructor(
    readonly id: number,
    readonly query: Buffer,
    readonly questionEnd: number,
    readonly conn: Connection,
  ) {}
}

/** One connection with its own ID space and a length-prefix reader. */
class Connection {
  readonly pending = new Map<number, Pending>();
  /** Replies received: a connection that has answered before and then closes was closed idle, not refused. */
  answered = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onClosed: (conn: Connection) => void,
    onError: (err: Error) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      onError(err);
      this.close();
    });
    socket.on('close', () => this.close());
    socket.setTimeout(IDLE_MS, () => {
      if (this.pending.size === 0) this.close();
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // Each pass takes one whole message off the front; a partial one waits for more data.
    while (this.buffered >= 2) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [head];
      const length = head.readUInt16BE(0);
      if (this.buffered < 2 + length) return;
      const msg = head.subarray(2, 2 + length);
      const rest = head.subarray(2 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onMessage(Buffer.from(msg));
    }
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 12) return;
    const p = this.pending.get(msg.readUInt16BE(0));
    // A reply for no query of ours, or for another question, is dropped: the query it claims keeps waiting.
    if (p === undefined || !isAnswerTo(msg, p.id, p.query, p.questionEnd)) return;
    this.answered++;
    settle(p, msg, 'answer');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const p of [...this.pending.values()]) settle(p, null, 'closed');
    this.onClosed(this);
  }
}

function settle(p: Pending, reply: Buffer | null, ending: Ending): void {
  if (p.conn.pending.get(p.id) !== p) return;
  p.conn.pending.delete(p.id);
  if (p.timer !== null) clearTimeout(p.timer);
  p.resolve(reply, ending);
}

/** Writes `query` on `c` under a fresh ID; null when no free ID was found. The caller sets resolve and the timer. */
function sendOn(c: Connection, query: Buffer, questionEnd: number, random: RandomSource): Pending | null {
  let id = random.uint16();
  for (let i = 1; i < ID_TRIES && c.pending.has(id); i++) id = random.uint16();
  if (c.pending.has(id)) return null;
  const framed = Buffer.allocUnsafe(query.length + 2);
  framed.writeUInt16BE(query.length, 0);
  query.copy(framed, 2);
  framed.writeUInt16BE(id, 2);
  const p = new Pending(id, framed.subarray(2), questionEnd, c);
  c.pending.set(id, p);
  c.socket.write(framed);
  return p;
}

/** Creates the transport for a tcp:// or tls:// upstream; the connection opens on first use. */
export function createStreamTransport(upstream: Upstream, random: RandomSource, tls: TlsOptions = {}): Transport {
  let conn: Connection | null = null;
  let inFlight = 0;
  let closed = false;
  let lastError: string | null = null;

  const open = (): Connection => {
    const socket: Socket =
      upstream.transport === 'tls'
        ? connectTls(upstream, ['dot'], tls)
        : connect({ host: upstream.host, port: upstream.port, noDelay: true });
    // An idle connection must not keep the process alive.
    socket.unref();
    return new Connection(
      socket,
      (c) => {
        if (conn === c) conn = null;
      },
      (err) => {
        lastError = err.message;
      },
    );
  };

  return {
    upstream,
    get inFlight() {
      return inFlight;
    },
    get lastError() {
      return lastError;
    },

    exchange(query: Buffer, questionEnd: number, deadlineMs: number): TransportExchange {
      if (closed) return { promise: Promise.resolve(null), cancel: () => {} };
      const deadline = performance.now() + deadlineMs;
      let current: Pending | null = null;
      let cancelled = false;
      inFlight++;
      const promise = new Promise<Buffer | null>((resolve) => {
        const finish = (reply: Buffer | null): void => {
          inFlight--;
          resolve(reply);
        };
        const send = (retry: boolean): void => {
          if (conn === null || conn.closed) conn = open();
          const c = conn;
          const p = sendOn(c, query, questionEnd, random);
          if (p === null) return finish(null);
          current = p;
          p.resolve = (reply, ending) => {
            current = null;
            // RFC 7766 §6.2.1: a server may close an idle connection at any time; a query caught by that on a
            // connection that had answered before is sent once more on a new one.
            const left = deadline - performance.now();
            if (ending === 'closed' && !retry && !cancelled && !closed && c.answered > 0 && left > 0) return send(true);
            finish(reply);
          };
          // Whole milliseconds: Node keeps a timer list per distinct duration (a fractional one would make one per query).
          p.timer = setTimeout(() => settle(p, null, 'gone'), Math.ceil(Math.max(1, deadline - performance.now())));
        };
        send(false);
      });
      return {
        promise,
        cancel: () => {
          cancelled = true;
          if (current !== null) settle(current, null, 'gone');
        },
      };
    },

    close(): Promise<void> {
      closed = true;
      conn?.close();
      conn = null;
      return Promise.resolve();
    },
  };
}
