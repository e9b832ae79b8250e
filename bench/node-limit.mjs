/**
 * The Node limit: the least a Node.js resolver must do, with nothing else. Parse the question, look its name
 * and every parent up in a Set, answer NXDOMAIN or forward over one socket, cache answers in a Map.
 * Usage: node node-limit.mjs PORT LISTFILE UPSTREAM_PORT  (SIGHUP re-reads the list on the main thread)
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const [port, listFile, upstreamPort] = process.argv.slice(2).map((v, i) => (i === 1 ? v : Number(v)));

let blocked = new Set();
function load() {
  const next = new Set();
  for (const line of readFileSync(listFile, 'utf8').split('\n')) if (line.length > 0) next.add(line);
  blocked = next;
}
load();
process.on('SIGHUP', load);

const server = dgram.createSocket('udp4');
const upstream = dgram.createSocket('udp4');
const pending = new Map();
const cache = new Map();
let nextId = 0;

/** Reads the question name (lower-case, dotted) and returns [name, offset after QTYPE/QCLASS], or null. */
function question(msg) {
  if (msg.length < 17) return null;
  let off = 12;
  let name = '';
  for (let guard = 0; guard < 128; guard++) {
    const len = msg[off];
    if (len === undefined || len > 63) return null;
    off++;
    if (len === 0) return off + 4 <= msg.length ? [name, off + 4] : null;
    if (name.length > 0) name += '.';
    name += msg.toString('latin1', off, off + len).toLowerCase();
    off += len;
  }
  return null;
}

function isBlocked(name) {
  let i = 0;
  for (;;) {
    if (blocked.has(i === 0 ? name : name.slice(i))) return true;
    const dot = name.indexOf('.', i);
    if (dot < 0) return false;
    i = dot + 1;
  }
}

server.on('message', (msg, rinfo) => {
  const q = question(msg);
  if (q === null) return;
  const [name, end] = q;
  if (isBlocked(name)) {
    const reply = Buffer.allocUnsafe(end);
    msg.copy(reply, 0, 0, end);
    reply[2] = 0x80 | (msg[2] & 0x79); // QR, keep opcode and RD
    reply[3] = 0x80 | 3; // RA, NXDOMAIN
    reply.writeUInt32BE(0x00010000, 4); // QD 1, AN 0
    reply.writeUInt32BE(0, 8); // NS 0, AR 0
    server.send(reply, rinfo.port, rinfo.address);
    return;
  }
  const key = msg.toString('latin1', 12, end).toLowerCase();
  const hit = cache.get(key);
  if (hit !== undefined) {
    const reply = Buffer.from(hit);
    reply[0] = msg[0];
    reply[1] = msg[1];
    server.send(reply, rinfo.port, rinfo.address);
    return;
  }
  const id = (nextId = (nextId + 1) & 0xffff);
  pending.set(id, { port: rinfo.port, address: rinfo.address, hi: msg[0], lo: msg[1], key });
  msg.writeUInt16BE(id, 0);
  upstream.send(msg, upstreamPort, '127.0.0.1');
});

upstream.on('message', (msg) => {
  if (msg.length < 12) return;
  const p = pending.get(msg.readUInt16BE(0));
  if (p === undefined) return;
  pending.delete(msg.readUInt16BE(0));
  if (cache.size > 100000) cache.clear();
  cache.set(p.key, Buffer.from(msg));
  msg[0] = p.hi;
  msg[1] = p.lo;
  server.send(msg, p.port, p.address);
});

upstream.bind(0, '127.0.0.1');
server.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
