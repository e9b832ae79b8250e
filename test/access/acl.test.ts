/** The compiled access check: default ranges, single addresses, IPv4-mapped clients and fail-closed input. */
import { describe, expect, it } from 'vitest';
import { compileAcl, everyClientRules } from '../../src/access/acl.js';
import { DEFAULTS } from '../../src/config/schema.js';
import { HradbaError } from '../../src/errors.js';

describe('compileAcl', () => {
  const defaults = compileAcl(DEFAULTS.access.allow);

  it.each([
    // loopback, both families
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    // private and link-local IPv4
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['172.15.255.255', false],
    ['192.168.100.7', true],
    ['169.254.1.1', true],
    // unique-local and link-local IPv6
    ['fd12:3456::1', true],
    ['fc00::1', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['febf::1', true],
    ['fec0::1', false],
    // the internet
    ['192.0.2.1', false],
    ['8.8.8.8', false],
    ['11.0.0.1', false],
    ['2001:db8::1', false],
    ['::', false],
    // IPv4 clients seen through a dual-stack socket are judged as IPv4
    ['::ffff:10.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::FFFF:192.168.1.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:192.0.2.1', false],
    ['::ffff:8.8.8.8', false],
    // garbage fails closed
    ['', false],
    ['localhost', false],
    ['10.0.0.256', false],
    ['10.0.0.1/8', false],
    [' 10.0.0.1', false],
    ['10.0.0.1 ', false],
    ['::ffff:10.0.0', false],
  ])('default ranges: %j → %s', (address, allowed) => {
    expect(defaults(address)).toBe(allowed);
  });

  it.each([
    { allow: ['127.0.0.1/32'], address: '127.0.0.1', allowed: true },
    { allow: ['127.0.0.1/32'], address: '127.0.0.2', allowed: false },
    { allow: ['127.0.0.1/32'], address: '::ffff:127.0.0.2', allowed: false },
    { allow: ['127.0.0.1'], address: '127.0.0.1', allowed: true },
    { allow: ['127.0.0.1'], address: '127.0.0.2', allowed: false },
    { allow: ['192.0.2.0/24'], address: '192.0.2.255', allowed: true },
    { allow: ['192.0.2.0/24'], address: '192.0.3.0', allowed: false },
    { allow: ['2001:db8::/32'], address: '2001:db8:ffff::1', allowed: true },
    { allow: ['2001:db8::/32'], address: '2001:db9::1', allowed: false },
    { allow: ['2001:db8::1'], address: '2001:db8::1', allowed: true },
    { allow: ['2001:db8::1'], address: '2001:db8::2', allowed: false },
    { allow: ['0.0.0.0/0'], address: '203.0.113.9', allowed: true },
    { allow: ['0.0.0.0/0'], address: '2001:db8::1', allowed: false },
    { allow: ['::/0'], address: '2001:db8::1', allowed: true },
    // an IPv6 network never admits an IPv4 client, however the socket spells it
    { allow: ['::/0'], address: '127.0.0.2', allowed: false },
    { allow: ['::/0'], address: '::ffff:127.0.0.2', allowed: false },
    { allow: ['::/0'], address: '::ffff:7f00:2', allowed: false },
    { allow: ['::/0'], address: '0:0:0:0:0:ffff:7f00:2', allowed: false },
    { allow: ['::/1'], address: '203.0.113.9', allowed: false },
    { allow: ['::/0'], address: '::1', allowed: true },
    { allow: ['0.0.0.0/0'], address: '::ffff:203.0.113.9', allowed: true },
    // a rule written in the IPv4-mapped form is the IPv4 network it spells
    { allow: ['::ffff:10.0.0.0/104'], address: '10.1.2.3', allowed: true },
    { allow: ['::ffff:10.0.0.0/104'], address: '::ffff:10.1.2.3', allowed: true },
    { allow: ['::ffff:10.0.0.0/104'], address: '11.1.2.3', allowed: false },
    { allow: ['::ffff:10.0.0.1'], address: '10.0.0.1', allowed: true },
    { allow: ['::ffff:10.0.0.1'], address: '10.0.0.2', allowed: false },
    { allow: ['10.0.0.0/8'], address: '::ffff:10.9.8.7', allowed: true },
    // host bits in a rule are ignored, as in every router's ACL
    { allow: ['10.1.2.3/8'], address: '10.200.0.1', allowed: true },
    { allow: [], address: '127.0.0.1', allowed: false },
    { allow: [], address: '::1', allowed: false },
  ])('$allow: $address → $allowed', ({ allow, address, allowed }) => {
    expect(compileAcl(allow)(address)).toBe(allowed);
  });

  it.each([['10.0.0.0/33'], ['example.org'], ['']])('throws HRADBA_ERR_CONFIG for the rule %j', (rule) => {
    expect(() => compileAcl(['127.0.0.1', rule])).toThrow(HradbaError);
    expect(() => compileAcl(['127.0.0.1', rule])).toThrow(/^access\.allow\[1\]: /);
  });

  it('gives each address the same verdict however often it asks, past the bound of remembered verdicts too', () => {
    const check = compileAcl(['10.0.0.0/9', '2001:db8::/33']);
    const expected = (a: number, b: number): boolean => a === 10 && b < 128;
    // 70,000 distinct sources: more than the check remembers, so the cache is cleared and refilled on the way.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 70_000; i++) {
        const a = i % 2 === 0 ? 10 : 11;
        const b = (i >>> 1) & 0xff;
        const address = `${a}.${b}.${(i >>> 9) & 0xff}.${i & 0xff}`;
        expect(check(address)).toBe(expected(a, b));
      }
      expect(check('2001:db8:7fff::1')).toBe(true);
      expect(check('2001:db8:8000::1')).toBe(false);
      expect(check('::ffff:10.1.2.3')).toBe(true);
      expect(check('::ffff:10.200.2.3')).toBe(false);
      expect(check('not an address')).toBe(false);
    }
  });

  it('names the rules that admit every client of a family, in any spelling', () => {
    expect(everyClientRules(['10.0.0.0/8', '::/0', '0.0.0.0/0', '::ffff:0:0/96', '::1/128', '0::/0'])).toEqual([
      { rule: '::/0', family: 'ipv6' },
      { rule: '0.0.0.0/0', family: 'ipv4' },
      { rule: '::ffff:0:0/96', family: 'ipv4' },
      { rule: '0::/0', family: 'ipv6' },
    ]);
    expect(everyClientRules(DEFAULTS.access.allow)).toEqual([]);
  });
});
