/** The shipped config/hradba.yaml starts as is (with --listen and --upstream overrides) and enforces the shipped lists. */
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata } from '../helpers/dig.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';

describe('serve with the default config', () => {
  let nsd: NsdServer;
  let hradba: HradbaProcess;

  beforeAll(async () => {
    nsd = await startNsd();
    hradba = await startHradba({ config: null, args: ['--upstream', `127.0.0.1:${nsd.port}`] });
  });

  afterAll(async () => {
    await hradba?.stop();
    await nsd?.stop();
  });

  it.each([
    { qname: 'chat.deepseek.com', list: 'deepseek' },
    { qname: 'deepseek.com', list: 'deepseek' },
  ])('sinkholes $qname from the shipped $list list', async ({ qname, list }) => {
    const a = parseDig((await dig({ port: hradba.port }, [qname, 'A'])).stdout);
    expect(a.status).toBe('NXDOMAIN');
    const line = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === qname, 5000);
    expect(line['list']).toBe(list);
    expect(line['vendor']).toBe('deepseek');
    expect(String((line['basis'] as { authority?: unknown } | undefined)?.authority ?? '')).not.toBe('');
  });

  // Footprint audit decisions (blocklists/vendors.yaml footprint.block): twins, app hosts and notable names under shared CDNs.
  it.each([
    { qname: 'tiktokcdn-eu.net', vendor: 'tiktok' },
    { qname: 'frontier.byteoversea.com', vendor: 'tiktok' },
    { qname: 'ibytedapm.com', vendor: 'tiktok' },
    { qname: 'tiktokv.com.edgekey.net', vendor: 'tiktok' },
    { qname: 'p16-tiktokcdn-com.akamaized.net', vendor: 'tiktok' },
    { qname: 'dbankcdn.ru', vendor: 'huawei' },
    { qname: 'uba.huaweicloud.com', vendor: 'huawei' },
  ])('sinkholes $qname, decided by the footprint audit, from the shipped $vendor list', async ({ qname, vendor }) => {
    const a = parseDig((await dig({ port: hradba.port }, [qname, 'A'])).stdout);
    expect(a.status).toBe('NXDOMAIN');
    const line = await hradba.waitForLog((l) => l['event'] === 'sinkhole' && l['qname'] === qname, 5000);
    expect(line['list']).toBe(vendor);
    expect(line['vendor']).toBe(vendor);
  });

  it('forwards sub.exact.example.net to the --upstream', async () => {
    const a = parseDig((await dig({ port: hradba.port }, ['sub.exact.example.net', 'A'])).stdout);
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['192.0.2.63']);
  });

  it('answers names under test. locally with NXDOMAIN (RFC 6761), though the upstream serves them', async () => {
    for (const name of ['www.example.test', 'chat.banned-vendor.test']) {
      const a = parseDig((await dig({ port: hradba.port }, [name, 'A'])).stdout);
      expect(a.status, name).toBe('NXDOMAIN');
      expect(a.authority.some((r) => /^test\.\s+\d+\s+IN\s+SOA\s/.test(r)), a.authority.join('\n')).toBe(true);
    }
  });

  it('serves with one thread per core (workers: auto): a listening line per thread, and one line for all when several', async () => {
    const cores = availableParallelism();
    if (cores > 1) {
      const all = await hradba.waitForLog((l) => l['event'] === 'workers-listening', 10_000);
      expect(all['workers']).toBe(cores);
    }
    const listening = hradba.logs().filter((l) => l['event'] === 'listening');
    expect(listening).toHaveLength(cores);
    expect(listening.map((l) => l['worker'] ?? 1).sort()).toEqual([...Array(cores).keys()].map((i) => i + 1));
  });
});
