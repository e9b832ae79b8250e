/** `report` counts user attempts next to queries: one client's A/AAAA/HTTPS for one name (or its search-domain form) within 2 s are one. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_WINDOW_MS, AttemptCounter } from '../../src/report/attempts.js';
import { buildReport, formatReportTable, readLines } from '../../src/report/report.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'report', 'attempts.jsonl');

describe('AttemptCounter', () => {
  it.each([
    { what: 'A then AAAA of one name', queries: [['x.test', 'A', 0], ['x.test', 'AAAA', 3]], attempts: 1 },
    { what: 'A, AAAA and HTTPS', queries: [['x.test', 'A', 0], ['x.test', 'AAAA', 1], ['x.test', 'HTTPS', 2]], attempts: 1 },
    { what: 'the window end itself', queries: [['x.test', 'A', 0], ['x.test', 'AAAA', ATTEMPT_WINDOW_MS]], attempts: 1 },
    { what: 'just past the window', queries: [['x.test', 'A', 0], ['x.test', 'AAAA', ATTEMPT_WINDOW_MS + 1]], attempts: 2 },
    { what: 'the window counted from the first query, not the last', queries: [['x.test', 'A', 0], ['x.test', 'A', 1500], ['x.test', 'A', 3000]], attempts: 2 },
    { what: 'a search domain appended', queries: [['x.test', 'A', 0], ['x.test.corp.example', 'A', 10]], attempts: 1 },
    { what: 'the search-domain form first (high ndots)', queries: [['x.test.corp.example', 'A', 0], ['x.test', 'A', 10]], attempts: 1 },
    { what: 'a name below, which is not a search domain', queries: [['x.test', 'A', 0], ['www.x.test', 'A', 10]], attempts: 2 },
    { what: 'a sibling name', queries: [['x.test', 'A', 0], ['x.example', 'A', 10]], attempts: 2 },
    { what: 'an earlier line written later (another thread)', queries: [['x.test', 'A', 1000], ['x.test', 'AAAA', 0]], attempts: 1 },
    { what: 'another type', queries: [['x.test', 'A', 0], ['x.test', 'TXT', 10], ['x.test', 'TXT', 20]], attempts: 2 },
  ] as const)('$what: $attempts', ({ queries, attempts }) => {
    const counter = new AttemptCounter();
    const started = queries.filter(([name, type, t]) => counter.isNew('10.0.0.1', name, type, t)).length;
    expect(started).toBe(attempts);
  });

  it('keeps clients apart', () => {
    const counter = new AttemptCounter();
    expect(counter.isNew('10.0.0.1', 'x.test', 'A', 0)).toBe(true);
    expect(counter.isNew('10.0.0.2', 'x.test', 'AAAA', 0)).toBe(true);
    expect(counter.isNew('10.0.0.1', 'x.test', 'AAAA', 0)).toBe(false);
  });

  it('still joins queries after pruning many old attempts', () => {
    const counter = new AttemptCounter();
    for (let i = 0; i < 5000; i++) expect(counter.isNew('10.0.0.1', `n${i}.test`, 'A', i * 10)).toBe(true);
    expect(counter.isNew('10.0.0.1', 'n4999.test', 'AAAA', 49_995)).toBe(false);
    expect(counter.isNew('10.0.0.1', 'n0.test', 'AAAA', 49_995)).toBe(true);
  });
});

describe('report attempts over the fixture log', () => {
  it('counts 16 queries as 7 attempts, per client', async () => {
    const report = await buildReport(readLines(FIXTURE));
    expect({ blocked: report.blocked, attempts: report.attempts }).toEqual({ blocked: 16, attempts: 7 });
    expect(report.clients.map((c) => [c.client, c.total, c.attempts])).toEqual([
      // x (A/AAAA/HTTPS, an out-of-order line, the search-domain form, a query at exactly 2 s), y, the parent, TXT twice, x again past 2 s.
      ['10.0.0.31', 13, 5],
      ['10.0.0.33', 2, 1],
      ['10.0.0.32', 1, 1],
    ]);
    expect(formatReportTable(report)).toContain('16 blocked queries (7 user attempts) from 3 clients,');
  });
});
