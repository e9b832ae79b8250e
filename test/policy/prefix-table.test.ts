/** PrefixTable: the most specific IPv4/IPv6 network holding an address. */
import { describe, expect, it } from 'vitest';
import { PrefixTable } from '../../src/policy/prefix-table.js';

describe('PrefixTable', () => {
  const t = new PrefixTable<string>();
  for (const [net, v] of [
    ['10.0.0.0/8', 'ten'],
    ['10.1.0.0/16', 'ten-one'],
    ['10.1.2.3', 'host'],
    ['192.0.2.128/25', 'upper-half'],
    ['2001:db8::/32', 'doc6'],
    ['2001:db8:1::/48', 'doc6-1'],
    ['0.0.0.0/0', 'any4'],
  ] as const) {
    expect(t.add(net, v)).toBe(true);
  }

  it.each([
    ['10.9.9.9', 'ten'],
    ['10.1.9.9', 'ten-one'],
    ['10.1.2.3', 'host'],
    ['10.1.2.4', 'ten-one'],
    ['192.0.2.200', 'upper-half'],
    ['192.0.2.100', 'any4'],
    ['::ffff:10.1.2.3', 'host'],
    ['2001:db8:1:2::1', 'doc6-1'],
    ['2001:db8:2::1', 'doc6'],
    ['2001:db9::1', undefined],
    ['garbage', undefined],
  ])('%s → %s', (address, want) => {
    expect(t.lookup(address)).toBe(want);
  });

  it('refuses a duplicate prefix and text that is no network', () => {
    expect(t.add('10.0.0.0/8', 'again')).toBe(false);
    expect(t.add('10.0.0.0/33', 'x')).toBe(false);
    expect(t.add('example.org', 'x')).toBe(false);
    expect(t.lookup('10.9.9.9')).toBe('ten');
    expect(t.size).toBe(7);
  });
});
