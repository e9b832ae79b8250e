/** Tests for src/dns/constants.ts: typeName and rcodeName. */

import { describe, expect, it } from 'vitest';
import { RCODE, TYPE, rcodeName, typeName } from '../../src/dns/constants.js';

describe('typeName', () => {
  it.each([
    [1, 'A'],
    [28, 'AAAA'],
    [64, 'SVCB'],
    [65, 'HTTPS'],
    [41, 'OPT'],
    [255, 'ANY'],
    [257, 'CAA'],
    [1234, 'TYPE1234'],
    [0, 'TYPE0'],
    [65535, 'TYPE65535'],
  ])('%i is %s', (code, name) => {
    expect(typeName(code)).toBe(name);
  });

  it('names every entry of TYPE by its key', () => {
    for (const [name, code] of Object.entries(TYPE)) expect(typeName(code)).toBe(name);
  });
});

describe('rcodeName', () => {
  it.each([
    [RCODE.NOERROR, 'NOERROR'],
    [RCODE.NXDOMAIN, 'NXDOMAIN'],
    [RCODE.BADVERS, 'BADVERS'],
    [23, 'RCODE23'],
  ])('%i is %s', (code, name) => {
    expect(rcodeName(code)).toBe(name);
  });
});
