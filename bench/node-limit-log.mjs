/**
 * The logging responder: the Node limit's block path (parse the question, Set lookup of the name and its parents,
 * NXDOMAIN by flipping header bits) plus hradba's own sinkhole line for every block: the same JSON fields and size,
 * built with a template string, one fs.WriteStream write per block. What the evidence line costs a plain writer.
 * Usage: node node-limit-log.mjs PORT LISTFILE LOGFILE
 */
import dgram from 'node:dgram';
import { createWriteStream, readFileSync } from 'node:fs';

const [port, listFile, logFile] = process.argv.slice(2);

const blocked = new Set();
for (const line of readFileSync(listFile, 'utf8').split('\n')) if (line.length > 0) blocked.add(line);
const log = createWriteStream(logFile, { flags: 'a' });
const TYPES = { 1: 'A', 28: 'AAAA', 65: 'HTTPS', 16: 'TXT' };

/** Reads the question name (lower-case, dotted) and returns [name, qtype, offset after QTYPE/QCLASS], or null. */
function question(msg) {
  if (msg.length < 17) return null;
  let off = 12;
  let name = '';
  for (let guard = 0; guard < 128; guard++) {
    const len = msg[off];
    if (len === undefined || len > 63) return null;
    off++;
    if (len === 0) return off + 4 <= msg.length ? [name, (msg[off] << 8) | msg[off + 1], off + 4] : null;
    if (name.length > 0) name += '.';
    name += msg.toString('latin1', off, off + len).toLowerCase();
    off += len;
  }
  return null;
}

/** The listed name that matches (the name or a parent), or null. */
function match(name) {
  let i = 0;
  for (;;) {
    const candidate = i === 0 ? name : name.slice(i);
    if (blocked.has(candidate)) return candidate;
    const dot = name.indexOf('.', i);
    if (dot < 0) return null;
    i = dot + 1;
  }
}

const server = dgram.createSocket('udp4');
server.on('message', (msg, rinfo) => {
  const q = question(msg);
  if (q === null) return;
  const [name, qtype, end] = q;
  const m = match(name);
  if (m === null) return;
  const reply = Buffer.allocUnsafe(end);
  msg.copy(reply, 0, 0, end);
  reply[2] = 0x80 | (msg[2] & 0x79); // QR, keep opcode and RD
  reply[3] = 0x80 | 3; // RA, NXDOMAIN
  reply.writeUInt32BE(0x00010000, 4); // QD 1, AN 0
  reply.writeUInt32BE(0, 8); // NS 0, AR 0
  server.send(reply, rinfo.port, rinfo.address);
  log.write(
    `{"level":"info","time":"${new Date().toISOString()}","pid":${process.pid},"event":"sinkhole","client":"${rinfo.address}","clientPort":${rinfo.port},"transport":"udp","group":"default","qname":"${name}","qtype":"${TYPES[qtype] ?? `TYPE${qtype}`}","mode":"nxdomain","received":"NXDOMAIN","match":"${m}","matchExact":false,"list":"bench","vendor":"bench","basis":{"authority":"Bench authority","date":"2026-01-01"},"policyVersion":1,"msg":"sinkholed"}\n`,
  );
});

server.bind(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => log.end(() => process.exit(0)));
