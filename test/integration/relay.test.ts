/** Forwarded answers come back intact (HTTPS, binary TXT, CNAME), truncation is a valid message, TCP pipelining and malformed input are handled. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, kdig, parseDig, rdata } from '../helpers/dig.js';
import { buildQuery, connectTcp, createUdpClient, frame, parseHeader, QTYPE, RCODE, udpExchange } from '../helpers/dns-client.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let nsd: NsdServer;
let hradba: HradbaProcess;

beforeAll(async () => {
  nsd = await startNsd();
  hradba = await startHradba({ config: testConfig(nsd.port), lists: { [TEST_LIST]: testvendorList() } });
});

afterAll(async () => {
  await hradba?.stop();
  await nsd?.stop();
});

describe('answers relayed intact', () => {
  it.each([
    { qname: 'svc.example.test', type: 'HTTPS' },
    { qname: 'bin.example.test', type: 'TXT' },
    { qname: 'alias.example.test', type: 'A' },
    { qname: 'www.example.test', type: 'AAAA' },
    { qname: 'nonexistent.example.test', type: 'A' },
  ])('$qname $type through hradba equals NSD directly', async ({ qname, type }) => {
    const args = [qname, type, '+noall', '+answer', '+authority', '+comments'];
    const direct = parseDig((await dig({ port: nsd.port }, args)).stdout);
    const relayed = parseDig((await dig({ port: hradba.port }, args)).stdout);
    expect(direct.status).not.toBeNull();
    expect(relayed.status).toBe(direct.status);
    expect(relayed.answer).toEqual(direct.answer);
    expect(relayed.authority).toEqual(direct.authority);
  });

  it('keeps the HTTPS SvcParams', async () => {
    const a = parseDig((await kdig({ port: hradba.port }, ['svc.example.test', 'HTTPS'])).stdout);
    expect(rdata(a, 'HTTPS')).toEqual(['1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1']);
  });

  it('keeps the non-UTF-8 bytes of a TXT record', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['bin.example.test', 'TXT'])).stdout);
    expect(rdata(a, 'TXT')).toEqual(['"\\000\\001\\255binary\\128\\200" "second string"']);
  });

  it('relays a CNAME chain', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['alias.example.test', 'A'])).stdout);
    expect(rdata(a, 'CNAME')).toEqual(['www.example.test.']);
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });
});

describe('truncation of a large answer (40 A records)', () => {
  it('over plain UDP (+noedns +ignore): TC set, no answers, a valid message', async () => {
    const run = await dig({ port: hradba.port }, ['big.example.test', 'A', '+noedns', '+ignore']);
    const a = parseDig(run.stdout);
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toContain('tc');
    expect(a.counts?.answer).toBe(0);
    expect(a.msgSize ?? 0).toBeLessThanOrEqual(512);
    expect(run.stdout + run.stderr).not.toMatch(/malformed|warning: message parser/i);
  });

  it('kdig reads the truncated reply without error', async () => {
    const run = await kdig({ port: hradba.port }, ['big.example.test', 'A', '+notcp', '+ignore']);
    const a = parseDig(run.stdout);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(a.flags).toContain('tc');
    expect(a.counts?.answer).toBe(0);
    expect(run.stdout + run.stderr).not.toMatch(/malformed|failed|WARNING/i);
  });

  it('dig without +ignore retries over TCP and gets all 40 answers', async () => {
    const run = await dig({ port: hradba.port }, ['big.example.test', 'A', '+noedns']);
    const a = parseDig(run.stdout);
    expect(run.stdout).toMatch(/Truncated, retrying in TCP mode/);
    expect(rdata(a, 'A')).toHaveLength(40);
    expect(run.stdout).toMatch(/\(TCP\)/);
  });

  it('fits in one UDP reply when the client advertises 1232 bytes', async () => {
    const run = await dig({ port: hradba.port }, ['big.example.test', 'A', '+bufsize=1232', '+ignore']);
    const a = parseDig(run.stdout);
    expect(a.flags).not.toContain('tc');
    expect(rdata(a, 'A')).toHaveLength(40);
  });
});

describe('TCP pipelining', () => {
  it('kdig +keepopen gets answers to several queries on one connection', async () => {
    const run = await kdig({ port: hradba.port }, ['+tcp', '+keepopen', 'www.example.test', 'chat.banned-vendor.test', 'sub.exact.example.net']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const statuses = [...run.stdout.matchAll(/status: (\w+)/g)].map((m) => m[1]);
    expect(statuses).toEqual(['NOERROR', 'NXDOMAIN', 'NOERROR']);
  });

  it('answers 20 queries written at once, skipping a malformed 5-byte frame, and keeps the connection', async () => {
    const names = ['www.example.test', 'chat.banned-vendor.test', 'alias.example.test', 'exact.example.net'];
    const queries = Array.from({ length: 20 }, (_, i) =>
      buildQuery({ id: 1000 + i, name: names[i % names.length] ?? 'www.example.test', type: QTYPE.A }),
    );
    const garbage = frame(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]));
    const bytes = Buffer.concat([...queries.slice(0, 10).map(frame), garbage, ...queries.slice(10).map(frame)]);
    const conn = await connectTcp(hradba.port);
    try {
      conn.write(bytes);
      const replies = await conn.waitForMessages(20, 10_000);
      const ids = replies.map((r) => parseHeader(r).id).sort((x, y) => x - y);
      expect(ids).toEqual(queries.map((q) => q.readUInt16BE(0)));
      for (const reply of replies) {
        const h = parseHeader(reply);
        const name = names[(h.id - 1000) % names.length];
        const want = name === 'chat.banned-vendor.test' || name === 'exact.example.net' ? RCODE.NXDOMAIN : RCODE.NOERROR;
        expect(h.rcode, `id ${h.id} ${String(name)}`).toBe(want);
      }
      // Still open: one more query on the same connection is answered.
      expect(conn.closed).toBe(false);
      conn.write(frame(buildQuery({ id: 2000, name: 'www.example.test' })));
      const after = await conn.waitForMessages(21, 5000);
      expect(after.map((r) => parseHeader(r).id)).toContain(2000);
    } finally {
      conn.close();
    }
  });
});

describe('malformed UDP input', () => {
  it('answers QDCOUNT 0 with FORMERR', async () => {
    const reply = await udpExchange(hradba.port, buildQuery({ id: 0x1111, name: '', qdcount: 0 }));
    expect(reply).not.toBeNull();
    const h = parseHeader(reply as Buffer);
    expect(h.id).toBe(0x1111);
    expect(h.qr).toBe(true);
    expect(h.rcode).toBe(RCODE.FORMERR);
  });

  it('does not answer a message with QR=1 (a response)', async () => {
    const reply = await udpExchange(hradba.port, buildQuery({ id: 0x2222, name: 'www.example.test', qr: true }), 1000);
    expect(reply).toBeNull();
  });

  it('answers OPCODE 2 (STATUS) with NOTIMP', async () => {
    const reply = await udpExchange(hradba.port, buildQuery({ id: 0x3333, name: 'www.example.test', opcode: 2 }));
    expect(reply).not.toBeNull();
    const h = parseHeader(reply as Buffer);
    expect(h.id).toBe(0x3333);
    expect(h.rcode).toBe(RCODE.NOTIMP);
  });

  it('ignores a datagram too short for a header', async () => {
    const reply = await udpExchange(hradba.port, Buffer.from([1, 2, 3, 4, 5]), 1000);
    expect(reply).toBeNull();
  });

  it('still answers normal queries afterwards', async () => {
    const client = await createUdpClient(hradba.port);
    try {
      const reply = await client.exchange(buildQuery({ id: 0x4444, name: 'www.example.test' }), 2000);
      expect(reply).not.toBeNull();
      expect(parseHeader(reply as Buffer).rcode).toBe(RCODE.NOERROR);
      expect(hradba.proc.exitCode).toBeNull();
    } finally {
      await client.close();
    }
  });
});
