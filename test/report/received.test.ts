/** `report` groups sinkholed queries by what the client received, shows REFUSED as referrals, and reads older lines by their mode. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, formatReportJson, formatReportTable, readLines, type Report } from '../../src/report/report.js';
import { answerReceived } from '../../src/report/received.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'report', 'received.jsonl');

describe('answerReceived', () => {
  it.each([
    [{ received: '192.0.2.99', mode: 'ip', qtype: 'A' }, '192.0.2.99'],
    [{ received: 'REFUSED', mode: 'nxdomain' }, 'REFUSED'],
    // Older lines: the answer their mode gives.
    [{ mode: 'nxdomain', qtype: 'A' }, 'NXDOMAIN'],
    [{ mode: 'nodata', qtype: 'AAAA' }, 'NODATA'],
    [{ mode: 'refused', qtype: 'A' }, 'REFUSED'],
    [{ mode: 'null', qtype: 'A' }, '0.0.0.0'],
    [{ mode: 'null', qtype: 'AAAA' }, '::'],
    [{ mode: 'null', qtype: 'MX' }, 'NODATA'],
    [{ mode: 'ip', qtype: 'A' }, 'ip (block page)'],
    [{ mode: 'ip', qtype: 'TXT' }, 'NODATA'],
    [{ received: '', mode: 'nodata' }, 'NODATA'],
    [{ received: 7, mode: 'teapot' }, 'unknown'],
    [{}, 'unknown'],
  ])('%o → %s', (line, want) => {
    expect(answerReceived(line)).toBe(want);
  });
});

describe('report over lines with and without `received`', () => {
  let report: Report;
  beforeAll(async () => {
    report = await buildReport(readLines(FIXTURE));
  });

  it('counts REFUSED answers as referrals, apart from the blocks', () => {
    expect({ sinkholes: report.sinkholes, blocked: report.blocked, attempts: report.attempts, referrals: report.referrals }).toEqual({
      sinkholes: 10,
      blocked: 7,
      attempts: 6,
      referrals: 3,
    });
    const c21 = report.clients.find((c) => c.client === '10.0.0.21');
    expect(c21).toMatchObject({ total: 2, attempts: 1, referrals: 3 });
    const deepseek = c21?.vendors.find((v) => v.vendor === 'deepseek');
    // A, AAAA 100 ms apart (the field), then the same name 10 minutes later (an older line, mode refused).
    expect(deepseek).toMatchObject({ count: 0, attempts: 0, referrals: 3 });
    expect(deepseek?.received).toEqual([
      { received: 'REFUSED', referral: true, count: 3, attempts: 2, firstSeen: '2025-09-02T08:00:00.000Z', lastSeen: '2025-09-02T08:10:00.000Z' },
    ]);
  });

  it('groups each client and vendor by the answer received, the field first, else the mode', () => {
    const byClient = Object.fromEntries(
      report.clients.map((c) => [c.client, Object.fromEntries(c.vendors.map((v) => [v.vendor, v.received.map((r) => [r.received, r.count, r.attempts])]))]),
    );
    expect(byClient).toEqual({
      // null mode, older lines: the A got 0.0.0.0, the AAAA of the same attempt ::.
      '10.0.0.21': { huawei: [['0.0.0.0', 1, 1], ['::', 1, 0]], deepseek: [['REFUSED', 3, 2]] },
      '10.0.0.22': { deepseek: [['192.0.2.99', 1, 1], ['NODATA', 1, 1], ['NXDOMAIN', 1, 1]] },
      '10.0.0.23': { huawei: [['NODATA', 1, 1], ['ip (block page)', 1, 1]] },
    });
    expect(report.clients.map((c) => c.client)).toEqual(['10.0.0.22', '10.0.0.21', '10.0.0.23']);
    expect(report.clients.find((c) => c.client === '10.0.0.22')?.referrals).toBeUndefined();
  });

  it('shows referrals in the table as REFUSED (referral) rows and in a summary line of their own', () => {
    const table = formatReportTable(report);
    const row = table.split('\n').find((l) => l.startsWith('10.0.0.21') && l.includes('deepseek'));
    expect(row).toMatch(/^10\.0\.0\.21\s+deepseek\s+REFUSED \(referral\)\s+3\s+2\s+2025-09-02 08:00:00Z\s+2025-09-02 08:10:00Z\s+Government/);
    expect(table).toContain('7 blocked queries (6 user attempts) from 3 clients, 2025-09-02 08:00:00Z to 2025-09-02 09:31:00Z.');
    expect(table).toContain('3 more queries answered REFUSED: referrals, not blocks (glibc, curl and musl then ask the next nameserver');
    expect(table.split('\n').filter((l) => /^10\.0\.0\.22\s+deepseek\s/.test(l)).map((l) => l.split(/\s{2,}/)[2])).toEqual(['192.0.2.99', 'NODATA', 'NXDOMAIN']);
  });

  it('carries the same in --json', () => {
    const parsed = JSON.parse(formatReportJson(report)) as Report;
    expect(parsed).toEqual(report);
    expect(parsed.referrals).toBe(3);
  });
});
