/** A loopback DNS server for tests (UDP and TCP on one port) that records every query and answers as told, plus raw message builders. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../src/config/types.js';

// ---------------------------------------------------------------------------------------------------------------
// Raw messages

/** Encodes a dotted name as wire labels (no compression); '' is the root. */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name === '' ? [] : name.split('.')) {
    const bytes = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** An EDNS option (code + data), e.g. COOKIE (10). */
export interface EdnsOption {
  readonly code: number;
  readonly data: Buffer;
}

/** An OPT pseudo-record for the additional section. */
export function optRecord(udpSize: number, options: readonly EdnsOption[] = []): Buffer {
  const rdata = Buffer.concat(
    options.map((o) => {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(o.code, 0);
      head.writeUInt16BE(o.data.length, 2);
      return Buffer.concat([head, o.data]);
    }),
  );
  const rr = Buffer.alloc(11);
  rr[0] = 0; // root owner
  rr.writeUInt16BE(41, 1);
  rr.writeUInt16BE(udpSize, 3);
  rr.writeUInt32BE(0, 5);
  rr.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([rr, rdata]);
}

/** A resource record owned by the question name (pointer 0xc00c). */
export function record(type: number, ttlSec: number, rdata: Buffer, cls = 1): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(cls, 4);
  rr.writeUInt32BE(ttlSec, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}

export interface QuerySpec {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly cls?: number;
  /** Additional-section records, e.g. optRecord(...). */
  readonly additional?: readonly Buffer[];
}

/** Builds a standard query (RD set) and returns it with its questionEnd. */
export function buildQuery(spec: QuerySpec): { msg: Buffer; questionEnd: number } {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(spec.id, 0);
  header[2] = 0x01; // RD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(spec.additional?.length ?? 0, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(spec.type, 0);
  tail.writeUInt16BE(spec.cls ?? 1, 2);
  const question = Buffer.concat([encodeName(spec.name), tail]);
  const msg = Buffer.concat([header, question, ...(spec.additional ?? [])]);
  return { msg, questionEnd: 12 + question.length };
}

/** Offset just past the (single) question of a message; walks labels without following pointers. */
export function questionEndOf(msg: Buffer): number {
  let at = 12;
  for (let i = 0; i < 128 && msg[at] !== 0; i++) at += msg[at]! + 1;
  return at + 5;
}

export interface ReplySpec {
  readonly rcode?: number;
  readonly tc?: boolean;
  readonly answers?: readonly Buffer[];
  readonly additional?: readonly Buffer[];
  /** Replace the ID (default: the query's). */
  readonly id?: number;
  /** Replace the question bytes (default: the query's, as sent). */
  readonly question?: Buffer;
}

/** Builds a response to `query`: its ID and question, QR+RA, RD copied, the given sections. */
export function buildReply(query: Buffer, spec: ReplySpec = {}): Buffer {
  const qEnd = questionEndOf(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(spec.id ?? query.readUInt16BE(0), 0);
  header[2] = 0x80 | (query[2]! & 0x79) | (spec.tc === true ? 0x02 : 0);
  header[3] = 0x80 | ((spec.rcode ?? 0) & 0x0f);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(spec.answers?.length ?? 0, 6);
  header.writeUInt16BE(spec.additional?.length ?? 0, 10);
  const question = spec.question ?? query.subarray(12, qEnd);
  return Buffer.concat([header, question, ...(spec.answers ?? []), ...(spec.additional ?? [])]);
}

/** The default answer: one A record 192.0.2.1. */
export function defaultAnswer(query: Buffer): Buffer {
  return buildReply(query, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] });
}

// ---------------------------------------------------------------------------------------------------------------
// The server

export interface FakeCall {
  readonly transport: 'udp' | 'tcp';
  /** The query exactly as received. */
  readonly query: Buffer;
  readonly id: number;
  /** The sender (for UDP: the forwarder's source address and port). */
  readonly remote: { readonly address: string; readonly port: number };
}

/** Decides the reply to a query: one message, several (sent in order), or none. */
export type AnswerFn = (query: Buffer, call: FakeCall) => Buffer | readonly Buffer[] | null;

export interface FakeUpstream {
  readonly address: HostPort;
  /** Every query received, in order. */
  readonly calls: FakeCall[];
  /** Answers with `fn` from now on (the default is defaultAnswer). */
  answer(fn: AnswerFn): this;
  /** Records queries but never answers. */
  drop(): this;
  /** Waits `ms` before sending each reply. */
  delay(ms: number): this;
  /** Sends `data` to the sender of a UDP call, from the server's port or from another port. */
  sendUdp(call: FakeCall, data: Buffer, opts?: { fromOtherPort?: boolean }): Promise<void>;
  /** Resolves once at least `n` calls were recorded (polls; bounded). */
  waitForCalls(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Polls `cond` every few ms until it holds; rejects after `limit` rounds so a broken test cannot hang. */
export async function waitFor(cond: () => boolean, what: string, limit = 400): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

function sendFrom(socket: UdpSocket, data: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, port, address, (err) => (err ? reject(err) : resolve())));
}

async function bindUdp(host: string, port: number): Promise<UdpSocket> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

async function listenTcp(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

/** Starts a fake upstream on `host` ('127.0.0.1' or '::1'), UDP and TCP on the same kernel-chosen port. */
export async function startFakeUpstream(host = '127.0.0.1'): Promise<FakeUpstream> {
  let answerFn: AnswerFn = (q) => defaultAnswer(q);
  let delayMs = 0;
  const calls: FakeCall[] = [];
  const tcpSockets = new Set<Socket>();
  let rogue: UdpSocket | null = null;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();

  // Delayed replies still due at close() are dropped, not sent on a closed socket.
  const later = (fn: () => void): void => {
    if (delayMs <= 0) return fn();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, delayMs);
    timers.add(timer);
  };
  const repliesTo = (query: Buffer, call: FakeCall): readonly Buffer[] => {
    const out = answerFn(query, call);
    return out === null ? [] : Buffer.isBuffer(out) ? [out] : (out as readonly Buffer[]);
  };

  // UDP first, then TCP on the same port; another process may hold that TCP port, so retry a few times.
  let udp: UdpSocket | null = null;
  const tcp = createServer();
  for (let tries = 0; tries < 20 && udp === null; tries++) {
    const candidate = await bindUdp(host, 0);
    if (await listenTcp(tcp, host, candidate.address().port)) udp = candidate;
    else candidate.close();
  }
  if (udp === null) throw new Error(`no UDP+TCP port pair free on ${host}`);
  const udpSocket = udp;
  const port = udpSocket.address().port;

  udpSocket.on('message', (msg, rinfo) => {
    const call: FakeCall = {
      transport: 'udp',
      query: msg,
      id: msg.length >= 2 ? msg.readUInt16BE(0) : -1,
      remote: { address: rinfo.address, port: rinfo.port },
    };
    calls.push(call);
    const replies = repliesTo(msg, call);
    if (replies.length > 0) later(() => { for (const r of replies) udpSocket.send(r, rinfo.port, rinfo.address); });
  });

  tcp.on('connection', (socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let i = 0; i < 1000 && pending.length >= 2; i++) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = Buffer.from(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
        const call: FakeCall = {
          transport: 'tcp',
          query: msg,
          id: msg.length >= 2 ? msg.readUInt16BE(0) : -1,
          remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
        };
        calls.push(call);
        const replies = repliesTo(msg, call);
        if (replies.length > 0) later(() => { if (!socket.destroyed) for (const r of replies) socket.write(frame(r)); });
      }
    });
  });

  const fake: FakeUpstream = {
    address: { host, port },
    calls,
    answer(fn) {
      answerFn = fn;
      return fake;
    },
    drop() {
      answerFn = () => null;
      return fake;
    },
    delay(ms) {
      delayMs = ms;
      return fake;
    },
    async sendUdp(call, data, opts = {}) {
      if (opts.fromOtherPort === true) {
        rogue ??= await bindUdp(host, 0);
        return sendFrom(rogue, data, call.remote.port, call.remote.address);
      }
      return sendFrom(udpSocket, data, call.remote.port, call.remote.address);
    },
    waitForCalls(n) {
      return waitFor(() => calls.length >= n, `${n} calls to ${host}:${port}`);
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udpSocket.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
        rogue === null ? Promise.resolve() : new Promise<void>((r) => rogue!.close(() => r())),
      ]);
    },
  };
  return fake;
}
