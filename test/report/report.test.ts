import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HradbaError } from '../../src/errors.js';
import { buildReport, formatReportJson, formatReportTable, readLines, type Report } from '../../src/report/report.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'report', 'mixed.jsonl');

const GOV = { authority: 'Government of the Czech Republic (Fiala cabinet)', date: '2025-07-09' };
const NUKIB = { authority: 'NÚKIB, Czech Republic', date: '2018-12-17' };

/** What an older line (no `received` field) of mode nxdomain reads as: `count` queries in `attempts` attempts. */
const nx = (count: number, attempts: number, firstSeen: string, lastSeen: string) => [{ received: 'NXDOMAIN', referral: false, count, attempts, firstSeen, lastSeen }];

/** A sinkhole line with the fields the report reads, overridable. */
function sinkhole(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    level: 'info',
    time: '2025-09-01T08:00:00.000Z',
    event: 'sinkhole',
    client: '10.0.0.1',
    qname: 'chat.deepseek.com',
    list: 'deepseek',
    vendor: 'deepseek',
    basis: GOV,
    msg: 'sinkholed',
    ...over,
  });
}

describe('buildReport over the fixture log', () => {
  let report: Report;
  beforeAll(async () => {
    report = await buildReport(readLines(FIXTURE));
  });

  it('counts lines, sinkholes and skipped lines by reason', () => {
    expect(report.lines).toBe(12);
    expect(report.sinkholes).toBe(8);
    // The A and AAAA of chat.deepseek.com, 250 ms apart, are one user attempt.
    expect({ blocked: report.blocked, attempts: report.attempts, referrals: report.referrals }).toEqual({ blocked: 8, attempts: 7, referrals: 0 });
    expect(report.skipped).toEqual({ total: 4, notJson: 1, otherEvent: 3, malformed: 0 });
    expect(report.firstSeen).toBe('2025-09-01T07:00:00.000Z');
    expect(report.lastSeen).toBe('2025-09-01T09:25:00.000Z');
  });

  it('aggregates per client and vendor, busiest first, with first and last seen', () => {
    expect(report.clients).toEqual([
      {
        client: '10.0.0.5',
        total: 4,
        attempts: 3,
        firstSeen: '2025-09-01T08:00:00.000Z',
        lastSeen: '2025-09-01T09:11:30.500Z',
        vendors: [
          {
            vendor: 'deepseek',
            count: 3,
            attempts: 2,
            received: nx(3, 2, '2025-09-01T08:00:00.000Z', '2025-09-01T09:10:00.000Z'),
            firstSeen: '2025-09-01T08:00:00.000Z',
            lastSeen: '2025-09-01T09:10:00.000Z',
            lists: ['deepseek'],
            bases: [GOV],
          },
          {
            vendor: 'huawei',
            count: 1,
            attempts: 1,
            received: nx(1, 1, '2025-09-01T09:11:30.500Z', '2025-09-01T09:11:30.500Z'),
            firstSeen: '2025-09-01T09:11:30.500Z',
            lastSeen: '2025-09-01T09:11:30.500Z',
            lists: ['huawei'],
            bases: [NUKIB],
          },
        ],
      },
      {
        client: '10.0.0.7',
        total: 3,
        attempts: 3,
        // The 07:00 line comes last in the file (another process): order in the file does not matter.
        firstSeen: '2025-09-01T07:00:00.000Z',
        lastSeen: '2025-09-01T09:25:00.000Z',
        vendors: [
          {
            vendor: 'huawei',
            count: 3,
            attempts: 3,
            received: nx(3, 3, '2025-09-01T07:00:00.000Z', '2025-09-01T09:25:00.000Z'),
            firstSeen: '2025-09-01T07:00:00.000Z',
            lastSeen: '2025-09-01T09:25:00.000Z',
            lists: ['huawei', 'huawei-extended'],
            bases: [NUKIB],
          },
        ],
      },
      {
        client: 'fd00::1',
        total: 1,
        attempts: 1,
        firstSeen: '2025-09-01T09:20:00.000Z',
        lastSeen: '2025-09-01T09:20:00.000Z',
        vendors: [
          {
            vendor: 'deepseek',
            count: 1,
            attempts: 1,
            received: nx(1, 1, '2025-09-01T09:20:00.000Z', '2025-09-01T09:20:00.000Z'),
            firstSeen: '2025-09-01T09:20:00.000Z',
            lastSeen: '2025-09-01T09:20:00.000Z',
            lists: ['deepseek'],
            bases: [GOV],
          },
        ],
      },
    ]);
  });

  it('formats an aligned table with one row per client, vendor and answer received', () => {
    const table = formatReportTable(report);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^CLIENT\s+VENDOR\s+RECEIVED\s+QUERIES\s+ATTEMPTS\s+FIRST SEEN\s+LAST SEEN\s+BASIS$/);
    const rows = lines.slice(1, 5);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^10\.0\.0\.5\s+deepseek\s+NXDOMAIN\s+3\s+2\s+2025-09-01 08:00:00Z\s+2025-09-01 09:10:00Z\s+Government of the Czech Republic \(Fiala cabinet\), 2025-07-09$/);
    expect(rows[1]).toMatch(/^10\.0\.0\.5\s+huawei\s+NXDOMAIN\s+1\s+1\s+2025-09-01 09:11:30Z\s+2025-09-01 09:11:30Z\s+NÚKIB, Czech Republic, 2018-12-17$/);
    expect(rows[2]).toMatch(/^10\.0\.0\.7\s+huawei\s+NXDOMAIN\s+3\s+3\s+2025-09-01 07:00:00Z\s+2025-09-01 09:25:00Z\s+NÚKIB, Czech Republic, 2018-12-17$/);
    expect(rows[3]).toMatch(/^fd00::1\s+deepseek\s+NXDOMAIN\s+1\s+1\s+2025-09-01 09:20:00Z\s+2025-09-01 09:20:00Z\s+Government/);

    // Columns line up: every column starts where its header does.
    const header = lines[0] ?? '';
    for (const col of ['VENDOR', 'RECEIVED', 'FIRST SEEN', 'LAST SEEN', 'BASIS']) {
      const at = header.indexOf(col);
      for (const row of rows) expect(row?.[at - 1], `${col} in ${row}`).toBe(' ');
      for (const row of rows) expect(row?.[at], `${col} in ${row}`).not.toBe(' ');
    }
    // QUERIES and ATTEMPTS are right-aligned under their headers.
    for (const col of ['QUERIES', 'ATTEMPTS']) {
      const end = header.indexOf(col) + col.length;
      for (const row of rows) expect(row?.[end - 1]).toMatch(/\d/);
    }

    expect(table).toContain('8 blocked queries (7 user attempts) from 3 clients, 2025-09-01 07:00:00Z to 2025-09-01 09:25:00Z.');
    expect(table).not.toContain('REFUSED');
    expect(table).toContain('4 lines skipped: 3 other events, 1 not JSON, 0 malformed sinkhole lines.');
    expect(table.endsWith('\n')).toBe(true);
  });

  it('formats --json as the report itself', () => {
    const json = formatReportJson(report);
    expect(json.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(json) as Report;
    expect(parsed).toEqual(report);
    expect(Object.keys(parsed).sort()).toEqual(['attempts', 'blocked', 'clients', 'firstSeen', 'lastSeen', 'lines', 'referrals', 'sinkholes', 'skipped']);
    expect(Object.keys(parsed.clients[0] ?? {}).sort()).toEqual(['attempts', 'client', 'firstSeen', 'lastSeen', 'total', 'vendors']);
    expect(Object.keys(parsed.clients[0]?.vendors[0] ?? {}).sort()).toEqual(['attempts', 'bases', 'count', 'firstSeen', 'lastSeen', 'lists', 'received', 'vendor']);
  });
});

describe('buildReport on odd input', () => {
  it.each([
    { what: 'plain text', line: 'hello world', reason: 'notJson' },
    { what: 'a truncated line', line: sinkhole().slice(0, 40), reason: 'notJson' },
    { what: 'a JSON array', line: '[1,2,3]', reason: 'notJson' },
    { what: 'JSON null', line: 'null', reason: 'notJson' },
    { what: 'a JSON number', line: '42', reason: 'notJson' },
    { what: 'a line without event', line: '{"level":"info","msg":"x"}', reason: 'otherEvent' },
    { what: 'a reload line', line: '{"event":"reload","ok":false,"errors":["x"]}', reason: 'otherEvent' },
    { what: 'a sinkhole line without client', line: sinkhole({ client: undefined }), reason: 'malformed' },
    { what: 'a sinkhole line with an empty vendor', line: sinkhole({ vendor: '' }), reason: 'malformed' },
    { what: 'a sinkhole line with a numeric list', line: sinkhole({ list: 7 }), reason: 'malformed' },
    { what: 'a sinkhole line without time', line: sinkhole({ time: undefined }), reason: 'malformed' },
    { what: 'a sinkhole line with a bad time', line: sinkhole({ time: 'yesterday' }), reason: 'malformed' },
    { what: 'a sinkhole line with an out-of-range time', line: sinkhole({ time: 1e300 }), reason: 'malformed' },
  ])('skips $what as $reason', async ({ line, reason }) => {
    const r = await buildReport([line, sinkhole()]);
    expect(r.sinkholes).toBe(1);
    expect(r.lines).toBe(2);
    expect(r.skipped.total).toBe(1);
    expect(r.skipped[reason as 'notJson' | 'otherEvent' | 'malformed']).toBe(1);
  });

  it('ignores blank lines and surrounding whitespace', async () => {
    const r = await buildReport(['', '   ', `  ${sinkhole()}\r`, '\t']);
    expect(r.lines).toBe(1);
    expect(r.sinkholes).toBe(1);
    expect(r.skipped.total).toBe(0);
  });

  it('accepts epoch-ms times (pino default) next to ISO strings', async () => {
    const r = await buildReport([sinkhole({ time: Date.UTC(2025, 8, 1, 6, 0, 0) }), sinkhole({ time: '2025-09-01T08:00:00.000+02:00' })]);
    expect(r.clients[0]?.vendors[0]).toMatchObject({ count: 2, firstSeen: '2025-09-01T06:00:00.000Z', lastSeen: '2025-09-01T06:00:00.000Z' });
  });

  it('counts a line with a missing or malformed basis, and lists each distinct basis once', async () => {
    const other = { authority: 'NÚKIB, Czech Republic', date: '2025-07-10' };
    const r = await buildReport([
      sinkhole({ basis: null }),
      sinkhole({ basis: { authority: 5 } }),
      sinkhole(),
      sinkhole({ basis: other }),
      sinkhole(),
    ]);
    expect(r.sinkholes).toBe(5);
    expect(r.clients[0]?.vendors[0]?.bases).toEqual([GOV, other]);
  });

  it('orders clients with equal totals by address, and vendors with equal counts by id', async () => {
    const r = await buildReport([
      sinkhole({ client: '10.0.0.9', vendor: 'zte', list: 'zte' }),
      sinkhole({ client: '10.0.0.9', vendor: 'huawei', list: 'huawei' }),
      sinkhole({ client: '10.0.0.2', vendor: 'deepseek' }),
      sinkhole({ client: '10.0.0.2', vendor: 'deepseek' }),
    ]);
    expect(r.clients.map((c) => c.client)).toEqual(['10.0.0.2', '10.0.0.9']);
    expect(r.clients[1]?.vendors.map((v) => v.vendor)).toEqual(['huawei', 'zte']);
  });

  it('reports an empty log without a table', async () => {
    const r = await buildReport(['not json', '{"event":"listening"}']);
    expect(r).toMatchObject({ clients: [], sinkholes: 0, lines: 2, firstSeen: null, lastSeen: null });
    expect(formatReportTable(r)).toBe('No sinkholed lookups found.\n2 lines skipped: 1 other events, 1 not JSON, 0 malformed sinkhole lines.\n');
    expect(formatReportTable(await buildReport([]))).toBe('No sinkholed lookups found.\n');
  });

  it('shows "-" for a vendor whose lines name no basis', async () => {
    const table = formatReportTable(await buildReport([sinkhole({ basis: null })]));
    expect(table.split('\n')[1]).toMatch(/^10\.0\.0\.1\s+deepseek\s+unknown\s+1\s+1\s+\S+ \S+\s+\S+ \S+\s+-$/);
    expect(table).toContain('1 blocked query (1 user attempt) from 1 client,');
  });
});

describe('readLines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hradba-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function collect(source: string): Promise<string[]> {
    const out: string[] = [];
    for await (const l of readLines(source)) out.push(l);
    return out;
  }

  it('reads LF and CRLF lines and a last line without newline', async () => {
    const file = join(dir, 'crlf.log');
    await writeFile(file, 'one\r\ntwo\nthree');
    expect(await collect(file)).toEqual(['one', 'two', 'three']);
  });

  it.each([
    { what: 'a missing file', name: 'missing.log' },
    { what: 'a directory', name: '.' },
  ])('throws HRADBA_ERR_LOG for $what', async ({ name }) => {
    const source = join(dir, name);
    const err: unknown = await collect(source).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HradbaError);
    expect((err as HradbaError).code).toBe('HRADBA_ERR_LOG');
  });

  it('can be abandoned early', async () => {
    const file = join(dir, 'many.log');
    await writeFile(file, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
    const seen: string[] = [];
    for await (const l of readLines(file)) {
      seen.push(l);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['line 0', 'line 1', 'line 2']);
  });
});
