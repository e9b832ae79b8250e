/** A raw DNS client for the cases dig cannot produce: malformed messages, hand-set header bits, pipelined TCP frames. */
import dgram from 'node:dgram';
import net from 'node:net';
import { Packet } from 'dns2';

export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, HTTPS: 65 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface QueryOptions {
  readonly id: number;
  readonly name: string;
  readonly type?: number;
  readonly rd?: boolean;
  /** Header OPCODE (0 = QUERY, 2 = STATUS). */
  readonly opcode?: number;
  /** Set QR as if this were a response. */
  readonly qr?: boolean;
  /** Attach an OPT record advertising this UDP size; omitted means no EDNS. */
  readonly ednsUdpSize?: number;
  /** Write this QDCOUNT instead of 1 (the question is written only when it is 1). */
  readonly qdcount?: number;
}

/** Encodes a name as length-prefixed labels (ASCII only; enough for test names). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts = labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** Builds a query message with the header bits given. */
export function buildQuery(o: QueryOptions): Buffer {
  const qdcount = o.qdcount ?? 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id & 0xffff, 0);
  const opcode = o.opcode ?? 0;
  header[2] = ((o.qr === true ? 1 : 0) << 7) | ((opcode & 0xf) << 3) | ((o.rd ?? true) ? 1 : 0);
  header[3] = 0;
  header.writeUInt16BE(qdcount, 4);
  header.writeUInt16BE(o.ednsUdpSize === undefined ? 0 : 1, 10);
  const parts: Buffer[] = [header];
  if (qdcount === 1) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(o.type ?? QTYPE.A, 0);
    tail.writeUInt16BE(1, 2);
    parts.push(encodeName(o.name), tail);
  }
  if (o.ednsUdpSize !== undefined) {
    const opt = Buffer.alloc(11);
    opt[0] = 0; // root owner
    opt.writeUInt16BE(QTYPE.OPT, 1);
    opt.writeUInt16BE(o.ednsUdpSize, 3);
    parts.push(opt); // TTL (ext-rcode, version, flags) and RDLENGTH stay 0
  }
  return Buffer.concat(parts);
}

export interface Header {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly rcode: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/** Reads the 12-byte header of a message. */
export function parseHeader(msg: Buffer): Header {
  if (msg.length < 12) throw new Error(`message of ${msg.length} bytes has no header`);
  const b2 = msg[2] ?? 0;
  const b3 = msg[3] ?? 0;
  return {
    id: msg.readUInt16BE(0),
    qr: (b2 & 0x80) !== 0,
    opcode: (b2 >> 3) & 0xf,
    aa: (b2 & 0x04) !== 0,
    tc: (b2 & 0x02) !== 0,
    rd: (b2 & 0x01) !== 0,
    ra: (b3 & 0x80) !== 0,
    rcode: b3 & 0xf,
    qdcount: msg.readUInt16BE(4),
    ancount: msg.readUInt16BE(6),
    nscount: msg.readUInt16BE(8),
    arcount: msg.readUInt16BE(10),
  };
}

/** A/AAAA addresses in the answer section, decoded with dns2 (fine in tests; never on the server's hot path). */
export function answerAddresses(msg: Buffer): string[] {
  const packet = Packet.parse(msg);
  return packet.answers
    .filter((rr) => rr.type === QTYPE.A || rr.type === QTYPE.AAAA)
    .map((rr) => String((rr as { address?: unknown }).address));
}

/** A UDP client socket on loopback that matches replies to queries by ID. */
export interface UdpClient {
  /** Sends `msg` and resolves with the first reply carrying its ID, or null after `timeoutMs`. */
  exchange(msg: Buffer, timeoutMs: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** Opens a UDP client towards host:port. */
export async function createUdpClient(port: number, host = '127.0.0.1'): Promise<UdpClient> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const waiting = new Map<number, (reply: Buffer) => void>();
  socket.on('message', (reply) => {
    if (reply.length < 2) return;
    const handler = waiting.get(reply.readUInt16BE(0));
    if (handler !== undefined) handler(reply);
  });
  await new Promise<void>((done, fail) => {
    socket.once('error', fail);
    socket.bind(0, host.includes(':') ? '::1' : '127.0.0.1', () => {
      socket.off('error', fail);
      done();
    });
  });
  socket.on('error', () => {
    // ICMP port-unreachable and the like surface here; the exchange just times out.
  });
  return {
    exchange(msg, timeoutMs) {
      const id = msg.readUInt16BE(0);
      return new Promise((resolveExchange) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolveExchange(null);
        }, timeoutMs);
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolveExchange(reply);
        });
        socket.send(msg, port, host);
      });
    },
    close() {
      return new Promise((done) => socket.close(() => done()));
    },
  };
}

/** Sends one UDP message from a fresh socket and waits for the reply (null on timeout). */
export async function udpExchange(port: number, msg: Buffer, timeoutMs = 2000, host = '127.0.0.1'): Promise<Buffer | null> {
  const client = await createUdpClient(port, host);
  try {
    return await client.exchange(msg, timeoutMs);
  } finally {
    await client.close();
  }
}

/** Prefixes a message with its 2-byte TCP length (RFC 1035 4.2.2). */
export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length, 0);
  return Buffer.concat([len, msg]);
}

/** An open TCP connection that splits the byte stream back into messages. */
export interface TcpConnection {
  write(bytes: Buffer): void;
  /** Waits until `count` messages in total have arrived (or `timeoutMs` passes) and returns all received so far. */
  waitForMessages(count: number, timeoutMs: number): Promise<Buffer[]>;
  /** True once the server closed or reset the connection. */
  readonly closed: boolean;
  close(): void;
}

/** Connects to host:port over TCP. */
export function connectTcp(port: number, host = '127.0.0.1', timeoutMs = 3000): Promise<TcpConnection> {
  return new Promise((resolveConnect, rejectConnect) => {
    const socket = net.connect({ port, host });
    const received: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let closed = false;
    const waiters = new Set<() => void>();
    const wake = (): void => {
      for (const w of [...waiters]) w();
    };
    const connectTimer = setTimeout(() => {
      socket.destroy();
      rejectConnect(new Error(`TCP connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        received.push(pending.subarray(2, 2 + len));
        pending = pending.subarray(2 + len);
      }
      wake();
    });
    socket.on('error', () => {
      closed = true;
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      resolveConnect({
        write: (bytes) => void socket.write(bytes),
        waitForMessages(count, waitMs) {
          return new Promise((done) => {
            const check = (): boolean => {
              if (received.length >= count || closed) {
                waiters.delete(onWake);
                clearTimeout(timer);
                done([...received]);
                return true;
              }
              return false;
            };
            const onWake = (): void => void check();
            const timer = setTimeout(() => {
              waiters.delete(onWake);
              done([...received]);
            }, waitMs);
            waiters.add(onWake);
            check();
          });
        },
        get closed() {
          return closed;
        },
        close: () => socket.destroy(),
      });
    });
  });
}
