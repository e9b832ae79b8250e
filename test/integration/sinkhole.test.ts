/** Blocked names get hradba's NXDOMAIN sinkhole (with EDE 15 and a log line) over UDP and TCP, from dig and kdig; other names are forwarded to a real NSD. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, kdig, parseDig, rdata, type DigAnswer } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const TRANSPORTS = [
  { tool: 'dig', transport: 'udp', args: [] },
  { tool: 'dig', transport: 'tcp', args: ['+tcp'] },
  { tool: 'kdig', transport: 'udp', args: ['+notcp'] },
  { tool: 'kdig', transport: 'tcp', args: ['+tcp'] },
] as const;

describe('sinkhole mode nxdomain', () => {
  let nsd: NsdServer;
  let hradba: HradbaProcess;

  const query = async (tool: 'dig' | 'kdig', args: readonly string[], host?: string): Promise<DigAnswer> => {
    const target = { port: hradba.port, ...(host === undefined ? {} : { host }) };
    const run = tool === 'dig' ? await dig(target, args) : await kdig(target, args);
    const answer = parseDig(run.stdout);
    if (answer.status === null) throw new Error(`${tool} ${args.join(' ')}: no reply\n${run.stdout}${run.stderr}`);
    return answer;
  };

  beforeAll(async () => {
    nsd = await startNsd();
    hradba = await startHradba({ config: testConfig(nsd.port), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
    await nsd?.stop();
  });

  describe.each(TRANSPORTS)('$tool over $transport', ({ tool, args }) => {
    it.each(['banned-vendor.test', 'chat.banned-vendor.test', 'api.v1.banned-vendor.test'])(
      '%s is NXDOMAIN with an SOA in the authority section',
      async (qname) => {
        const a = await query(tool, [qname, 'A', ...args]);
        expect(a.status).toBe('NXDOMAIN');
        expect(a.answer).toEqual([]);
        expect(a.authority.some((rr) => rr.split(' ')[3] === 'SOA'), a.text).toBe(true);
        expect(a.flags).toContain('qr');
      },
    );

    it('forwards an allowed name and sets RA', async () => {
      const a = await query(tool, ['www.example.test', 'A', ...args]);
      expect(a.status).toBe('NOERROR');
      expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
      // NSD, an authoritative server, answers without RA; hradba is the recursive service its clients
      // see, so it must advertise recursion itself (else dig warns "recursion requested but not available").
      expect(a.flags, 'RA on a relayed answer').toContain('ra');
    });

    it('blocks a mixed-case query and echoes the question in the client\'s case', async () => {
      const a = await query(tool, ['ChAt.BaNnEd-VeNdOr.TeSt', 'A', ...args]);
      expect(a.status).toBe('NXDOMAIN');
      // kdig lower-cases the name before sending it, so only dig's question shows the case kept.
      const want = tool === 'dig' ? 'ChAt.BaNnEd-VeNdOr.TeSt.' : 'chat.banned-vendor.test.';
      expect(a.question[0]?.split(' ')[0]).toBe(want);
    });
  });

  it('forwards a mixed-case allowed query and keeps the question case', async () => {
    const a = await query('dig', ['wWw.ExAmPlE.tEsT', 'A']);
    expect(a.status).toBe('NOERROR');
    expect(a.question[0]?.split(' ')[0]).toBe('wWw.ExAmPlE.tEsT.');
    expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
  });

  it('forwards a name whose owner is mixed case in the zone', async () => {
    const a = await query('dig', ['mixed.case.example.test', 'A']);
    expect(rdata(a, 'A')).toEqual(['192.0.2.11']);
  });

  it('blocks an exact-only entry but not its subdomain', async () => {
    const exact = await query('dig', ['exact.example.net', 'A']);
    expect(exact.status).toBe('NXDOMAIN');
    const sub = await query('dig', ['sub.exact.example.net', 'A']);
    expect(sub.status).toBe('NOERROR');
    expect(rdata(sub, 'A')).toEqual(['192.0.2.63']);
  });

  it('blocks every query type of a banned name (AAAA, TXT, HTTPS)', async () => {
    for (const type of ['AAAA', 'TXT', 'HTTPS']) {
      const a = await query('dig', ['chat.banned-vendor.test', type]);
      expect(a.status, type).toBe('NXDOMAIN');
    }
  });

  it('attaches EDE 15 (Blocked) naming the vendor to an EDNS query (dig default)', async () => {
    const a = await query('dig', ['chat.banned-vendor.test', 'A']);
    expect(a.hasOpt).toBe(true);
    expect(a.ede?.code).toBe(15);
    expect(a.ede?.text).toBe('vendor testvendor; list testvendor; basis: 2025-07-09 Test Authority');
  });

  it('attaches EDE 15 for kdig +edns too', async () => {
    const a = await query('kdig', ['chat.banned-vendor.test', 'A', '+edns']);
    expect(a.ede?.code).toBe(15);
    expect(a.ede?.text).toBe('vendor testvendor; list testvendor; basis: 2025-07-09 Test Authority');
  });

  it('sends no OPT record to a client that sent none (+noedns)', async () => {
    const a = await query('dig', ['chat.banned-vendor.test', 'A', '+noedns']);
    expect(a.status).toBe('NXDOMAIN');
    expect(a.hasOpt).toBe(false);
    expect(a.ede).toBeNull();
    const fwd = await query('dig', ['www.example.test', 'A', '+noedns']);
    expect(fwd.hasOpt).toBe(false);
    expect(rdata(fwd, 'A')).toEqual(['192.0.2.10']);
  });

  it('answers on ::1 as well when IPv6 loopback works', async () => {
    if (!hradba.ipv6) {
      // Nothing to check: this host has no IPv6 loopback, so hradba was not asked to listen on ::1.
      expect(nsd.ipv6).toBe(false);
      return;
    }
    const blocked = await query('dig', ['chat.banned-vendor.test', 'A'], '::1');
    expect(blocked.status).toBe('NXDOMAIN');
    const allowed = await query('dig', ['www.example.test', 'A', '+tcp'], '::1');
    expect(rdata(allowed, 'A')).toEqual(['192.0.2.10']);
  });

  it('logs a sinkhole line with client, transport and provenance', async () => {
    await query('dig', ['log-check.banned-vendor.test', 'A']);
    const line = await hradba.waitForLog(
      (l) => l['event'] === 'sinkhole' && String(l['qname']).toLowerCase() === 'log-check.banned-vendor.test',
      5000,
    );
    expect(line).toMatchObject({
      event: 'sinkhole',
      client: '127.0.0.1',
      transport: 'udp',
      qtype: 'A',
      list: 'testvendor',
      vendor: 'testvendor',
      basis: { authority: 'Test Authority', date: '2025-07-09' },
    });
    expect(typeof line['clientPort']).toBe('number');
    expect(typeof line['policyVersion']).toBe('number');
  });

  it('logs the transport of a TCP query as tcp', async () => {
    await query('dig', ['tcp-log-check.banned-vendor.test', 'A', '+tcp']);
    const line = await hradba.waitForLog(
      (l) => l['event'] === 'sinkhole' && String(l['qname']).toLowerCase() === 'tcp-log-check.banned-vendor.test',
      5000,
    );
    expect(line['transport']).toBe('tcp');
    expect(line['client']).toBe('127.0.0.1');
  });

  it('does not log allowed queries at all at level info (privacy)', async () => {
    await query('dig', ['private-lookup.example.test', 'A']);
    await query('dig', ['chat.banned-vendor.test', 'A']);
    await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === 'chat.banned-vendor.test', 5000);
    expect(hradba.stdout()).not.toContain('private-lookup');
  });

  it('answers BADVERS to an EDNS version it does not speak, with an OPT of version 0', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['www.example.test', 'A', '+edns=1', '+noednsneg'])).stdout);
    expect(a.status).toBe('BADVERS');
    expect(a.text).toMatch(/EDNS: version: 0/);
  });
});
