/** normalizeDomain: the one canonical form of names, and the reasons a name is refused. */
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../src/policy/domain-name.js';

describe('normalizeDomain', () => {
  it.each([
    ['example.org', 'example.org'],
    ['  Example.ORG  ', 'example.org'],
    ['example.org.', 'example.org'],
    ['EXAMPLE.ORG.', 'example.org'],
    ['_dmarc.example.org', '_dmarc.example.org'],
    ['_sip._tcp.example.org', '_sip._tcp.example.org'],
    ['a-b.example.org', 'a-b.example.org'],
    ['org', 'org'],
    ['10010.com', '10010.com'],
    ['host1.example.x1', 'host1.example.x1'],
    ['xn--pklad-zsa96e.cz', 'xn--pklad-zsa96e.cz'],
    ['příklad.cz', 'xn--pklad-zsa96e.cz'],
    ['PŘÍKLAD.CZ.', 'xn--pklad-zsa96e.cz'],
    ['münchen.example', 'xn--mnchen-3ya.example'],
    ['联通', 'xn--8y0a063a'],
    // Full-width letters and the ideographic full stop map to ASCII under IDNA.
    ['ＥＸＡＭＰＬＥ。org', 'example.org'],
    [`${'a'.repeat(63)}.example.org`, `${'a'.repeat(63)}.example.org`],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });

  it('converts Unicode exactly as node:url domainToASCII does', () => {
    for (const name of ['příklad.cz', 'žluťoučký-kůň.example', 'bücher.example']) {
      expect(normalizeDomain(name)).toBe(domainToASCII(name));
    }
  });

  it.each([
    ['', 'empty name'],
    ['   ', 'empty name'],
    ['.', "not a domain name: '.'"],
    ['foo bar', "not a domain name: 'foo bar'"],
    ['foo\tbar.example.org', 'not a domain name'],
    ['*.example.org', "wildcard '*' not supported"],
    ['a/b.example.org', "character '/' not allowed"],
    ['ab%63.example.org', "character '%' not allowed"],
    ['||example.org^', "character '|' not allowed"],
    ['a..b', 'empty label'],
    ['.example.org', 'empty label'],
    ['example.org..', 'empty label'],
    [`${'a'.repeat(64)}.example.org`, 'label longer than 63 octets'],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.org`, 'name longer than 253 octets'],
    ['exa mple.cz', 'not a domain name'],
    ['bad!.příklad.cz', "character '!' not allowed"],
    ['1.2.3.4', 'the last label is all digits'],
    ['0.0.0.0', 'the last label is all digits'],
    ['example.123', 'the last label is all digits'],
    ['example.123.', 'the last label is all digits'],
  ])('%j is refused: %s', (input, message) => {
    const r = normalizeDomain(input);
    expect(typeof r).toBe('object');
    expect((r as { error: string }).error).toContain(message);
  });

  it('accepts a name of exactly 253 octets and no more', () => {
    const name253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name253.length).toBe(253);
    expect(normalizeDomain(name253)).toBe(name253);
    expect(normalizeDomain(`${name253}.`)).toBe(name253);
    expect(normalizeDomain(`e${name253}`)).toEqual({ error: expect.stringContaining('longer than 253') });
  });
});
