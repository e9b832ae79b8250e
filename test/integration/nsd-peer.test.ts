/** The test NSD itself serves the fixture zones as the other integration tests assume (checked directly, without hradba). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, kdig, parseDig, rdata } from '../helpers/dig.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';

describe('test NSD (fixture zones)', () => {
  let nsd: NsdServer;

  beforeAll(async () => {
    nsd = await startNsd();
  });

  afterAll(async () => {
    await nsd?.stop();
  });

  it.each([
    { qname: 'www.example.test', type: 'A', want: '192.0.2.10' },
    { qname: 'mixed.case.example.test', type: 'A', want: '192.0.2.11' },
    { qname: 'chat.banned-vendor.test', type: 'A', want: '192.0.2.52' },
    { qname: 'exact.example.net', type: 'A', want: '192.0.2.62' },
    { qname: 'sub.exact.example.net', type: 'A', want: '192.0.2.63' },
    { qname: 'newly-banned.example.test', type: 'A', want: '192.0.2.70' },
  ])('answers $qname $type with $want', async ({ qname, type, want }) => {
    const a = parseDig((await dig({ port: nsd.port }, [qname, type])).stdout);
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, type)).toEqual([want]);
  });

  it('serves an HTTPS record with SvcParams', async () => {
    const a = parseDig((await dig({ port: nsd.port }, ['svc.example.test', 'HTTPS'])).stdout);
    expect(rdata(a, 'HTTPS')).toEqual(['1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1']);
  });

  it('serves the 40-record RRset, larger than 512 bytes', async () => {
    const a = parseDig((await dig({ port: nsd.port }, ['big.example.test', 'A', '+bufsize=4096'])).stdout);
    expect(rdata(a, 'A')).toHaveLength(40);
    expect(a.msgSize).toBeGreaterThan(512);
  });

  it('truncates the big RRset over plain UDP (TC, no answers)', async () => {
    const a = parseDig((await dig({ port: nsd.port }, ['big.example.test', 'A', '+noedns', '+ignore'])).stdout);
    expect(a.flags).toContain('tc');
    expect(a.counts?.answer).toBe(0);
  });

  it('serves binary TXT data unchanged', async () => {
    const a = parseDig((await kdig({ port: nsd.port }, ['bin.example.test', 'TXT'])).stdout);
    expect(rdata(a, 'TXT')).toEqual(['"\\000\\001\\255binary\\128\\200" "second string"']);
  });
});
