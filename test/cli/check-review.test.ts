/** `hradba check` warns about lists past their review date, and only those. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { check, reviewOverdue } from '../../src/cli/check-command.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'hradba-review-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('reviewOverdue', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  it.each([
    [undefined, null],
    ['2026-11-25', '2026-11-25'],
    ['2026-11-26', null],
    ['2026-12-01', null],
    ['2026-10', '2026-10'],
    ['2026-11', null],
    ['2025', '2025'],
    ['2026', null],
  ])('review %s → %s', (review, want) => {
    expect(reviewOverdue(review, now)).toBe(want);
  });
});

describe('hradba check with review dates', () => {
  it('prints a warning naming the list past review, exits 0', async () => {
    const list = (id: string): string => ['#@hradba-list 1', `#@id: ${id}`, `#@vendor: ${id}`, '#@basis: A | 2025 | T | https://example.org/', `${id}.test`, ''].join('\n');
    writeFileSync(path.join(tmp, 'old.list'), list('old'));
    writeFileSync(path.join(tmp, 'new.list'), list('new'));
    const cfg = path.join(tmp, 'hradba.yaml');
    writeFileSync(cfg, ['lists:', '  - { file: old.list, review: "2020-01-01" }', '  - { file: new.list, review: "2999-01-01" }', ''].join('\n'));
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    expect(await check(cfg, out)).toBe(0);
    expect(text).toContain("list 'old'");
    expect(text).toContain('was due for review on 2020-01-01');
    expect(text).not.toContain("list 'new'");
  });
});
