/** Access rules as written in config: networks and addresses, and their rejection messages. */
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../src/access/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['192.0.2.1', { address: '192.0.2.1', prefix: 32, family: 'ipv4' }],
    ['192.0.2.1/32', { address: '192.0.2.1', prefix: 32, family: 'ipv4' }],
    ['fc00::/7', { address: 'fc00::', prefix: 7, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['2001:db8::/128', { address: '2001:db8::', prefix: 128, family: 'ipv6' }],
  ])('%s', (text, want) => {
    expect(parseCidr(text)).toEqual(want);
  });

  it.each([
    ['10.0.0.0/33', "'10.0.0.0/33': the prefix length must be 0 to 32 for an IPv4 network"],
    ['fc00::/129', "'fc00::/129': the prefix length must be 0 to 128 for an IPv6 network"],
    ['10.0.0.0/', "'10.0.0.0/': the prefix length must be 0 to 32 for an IPv4 network"],
    ['10.0.0.0/x', "'10.0.0.0/x': the prefix length must be 0 to 32 for an IPv4 network"],
    ['10.0.0.0/-1', "'10.0.0.0/-1': the prefix length must be 0 to 32 for an IPv4 network"],
    ['10.0.0.0/+8', "'10.0.0.0/+8': the prefix length must be 0 to 32 for an IPv4 network"],
    ['10.0.0.0/8/8', "'10.0.0.0/8/8': the prefix length must be 0 to 32 for an IPv4 network"],
    ['10.0.0/8', "'10.0.0/8' is not an IP address or network (write e.g. 10.0.0.0/8, fc00::/7 or 192.0.2.1)"],
    ['example.org', "'example.org' is not an IP address or network (write e.g. 10.0.0.0/8, fc00::/7 or 192.0.2.1)"],
    ['', "'' is not an IP address or network (write e.g. 10.0.0.0/8, fc00::/7 or 192.0.2.1)"],
    ['fe80::/10%eth0', "'fe80::/10%eth0': the prefix length must be 0 to 128 for an IPv6 network"],
    ['fe80::1%eth0', "'fe80::1%eth0': a zone index ('%...') is not allowed in access rules"],
  ])('rejects %j', (text, error) => {
    expect(parseCidr(text)).toEqual({ error });
  });
});
