/** The vendor data's footprint part: keywords, reasons and exclusions read and checked; a hit decided only when every vendor it looks like decided it. */
import { describe, expect, it } from 'vitest';
import { FootprintAudit } from '../../src/audit/footprint-audit.js';
import { FootprintMatcher } from '../../src/audit/footprint-matcher.js';
import { findExclusion, parseVendorFootprints } from '../../src/audit/vendor-footprint.js';

const yaml = (footprint: string, extra = ''): string =>
  ['vendors:', '- id: acme', '  name: Acme', extra, '  footprint:', ...footprint.split('\n').map((l) => `    ${l}`), ''].join('\n');

describe('parseVendorFootprints', () => {
  it('reads keywords, exclusions with their reason and the do_not_block names', () => {
    const fp = parseVendorFootprints(
      yaml(
        ['keywords: [AcmeSoft]', 'reasons:', '  other: another company', 'exclude:', '  - { name: acme-fans.org, reason: other }', "  - { name: '=one.cdn.example', reason: other }"].join('\n'),
        '  do_not_block:\n  - cdn.example / edge.example (shared) - only listed names below',
      ),
      'v.yaml',
    ).get('acme');
    expect(fp?.keywords).toEqual(['acmesoft']);
    expect(fp?.exclusions).toEqual([
      { name: 'acme-fans.org', exact: false, reason: 'other', why: 'another company' },
      { name: 'one.cdn.example', exact: true, reason: 'other', why: 'another company' },
      { name: 'cdn.example', exact: true, reason: 'do_not_block', why: 'cdn.example / edge.example (shared) - only listed names below' },
      { name: 'edge.example', exact: true, reason: 'do_not_block', why: 'cdn.example / edge.example (shared) - only listed names below' },
    ]);
  });

  it('covers the names below a suffix exclusion, only the name of an exact one', () => {
    const fp = parseVendorFootprints(yaml(['reasons: { r: why }', 'exclude:', '  - { name: a.example, reason: r }', "  - { name: '=b.example', reason: r }"].join('\n')), 'v.yaml').get('acme');
    if (fp === undefined) throw new Error('no vendor');
    expect(findExclusion(fp, 'x.a.example')?.name).toBe('a.example');
    expect(findExclusion(fp, 'b.example')?.name).toBe('b.example');
    expect(findExclusion(fp, 'x.b.example')).toBeUndefined();
    expect(findExclusion(fp, 'aa.example')).toBeUndefined();
  });

  it.each([
    ['keywords: [abc]', "footprint.keywords: 'abc'"],
    ['exclude: [{ name: a.example, reason: nope }]', "reason 'nope' is not a key of footprint.reasons"],
    ['reasons: { r: why }\nexclude: [{ name: a.example }]', 'footprint.exclude[0]: needs name and reason'],
    ["reasons: { r: why }\nexclude: [{ name: 'bad name', reason: r }]", 'not a domain name'],
  ])('refuses %j', (footprint, message) => {
    expect(() => parseVendorFootprints(yaml(footprint), 'v.yaml')).toThrow(message);
  });

  it('refuses a file without vendors, naming it', () => {
    expect(() => parseVendorFootprints('meta: {}\n', 'v.yaml')).toThrow("v.yaml: no 'vendors' list");
    expect(() => parseVendorFootprints('vendors: [\n', 'v.yaml')).toThrow('not YAML');
  });
});

describe('FootprintAudit', () => {
  const footprints = parseVendorFootprints(
    ['vendors:', '- id: a', '  footprint:', '    reasons: { r: a third party }', '    exclude: [{ name: shared-brand.example, reason: r }]', '- id: b', ''].join('\n'),
    'v.yaml',
  );
  const matcher = new FootprintMatcher({
    listed: [],
    keywords: [
      { vendor: 'a', keyword: 'shared' },
      { vendor: 'b', keyword: 'brand' },
    ],
    tracked: [],
  });
  const none = { blocked: () => undefined, notEnforced: () => undefined };

  it('leaves a hit undecided while one of the vendors it looks like has not decided it', () => {
    const audit = new FootprintAudit(matcher, none, footprints);
    expect(audit.add('shared-brand.example')?.outcome).toEqual({ kind: 'undecided' });
    expect(audit.add('shared-only.example')?.outcome.kind).toBe('undecided');
    expect(audit.counts).toMatchObject({ read: 2, distinct: 2, hits: 2, undecided: 2 });
  });

  it('counts blocked names apart and a repeated name once', () => {
    const audit = new FootprintAudit(matcher, { blocked: (n) => (n === 'x.example' ? { entry: 'x.example', list: 'l' } : undefined), notEnforced: () => undefined }, footprints);
    audit.add('x.example');
    audit.add('x.example');
    audit.add('nothing.example');
    expect(audit.counts).toMatchObject({ read: 3, distinct: 2, blocked: 1, hits: 0 });
  });
});
