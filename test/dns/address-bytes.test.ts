/** Tests for src/dns/address-bytes.ts: ipv4Bytes and ipv6Bytes. */

import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv6Bytes } from '../../src/dns/address-bytes.js';

describe('ipv4Bytes', () => {
  it.each([
    ['0.0.0.0', '00000000'],
    ['192.0.2.1', 'c0000201'],
    ['255.255.255.255', 'ffffffff'],
  ])('%s', (text, hex) => {
    expect(ipv4Bytes(text)?.toString('hex')).toBe(hex);
  });

  it.each(['', '1.2.3', '256.1.1.1', '::1', 'localhost', '01.2.3.4x'])('refuses %j', (text) => {
    expect(ipv4Bytes(text)).toBeNull();
  });
});

describe('ipv6Bytes', () => {
  it.each([
    ['::', '0'.repeat(32)],
    ['::1', '0'.repeat(31) + '1'],
    ['2001:db8::1', '20010db8' + '0'.repeat(23) + '1'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['fe80::', 'fe80' + '0'.repeat(28)],
    ['::ffff:192.0.2.1', '0'.repeat(20) + 'ffff' + 'c0000201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('%s', (text, hex) => {
    expect(ipv6Bytes(text)?.toString('hex')).toBe(hex);
  });

  it.each(['', '1.2.3.4', '1::2::3', '12345::', 'fe80::1%eth0', 'g::1', '1:2:3:4:5:6:7'])('refuses %j', (text) => {
    expect(ipv6Bytes(text)).toBeNull();
  });
});
