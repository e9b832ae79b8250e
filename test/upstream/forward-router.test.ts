/** Conditional forwarding picks the longest matching zone, and nothing for names outside every zone. */
import { describe, expect, it } from 'vitest';
import { ForwardRouter } from '../../src/upstream/forward-router.js';
import type { Forwarder } from '../../src/upstream/types.js';

const pool = (name: string): Forwarder => ({ name }) as unknown as Forwarder;

describe('ForwardRouter', () => {
  const def = pool('default');
  const corp = pool('corp');
  const lab = pool('lab');
  const rev = pool('rev');
  const router = new ForwardRouter(def, new Map([['corp.example', corp], ['lab.corp.example', lab], ['10.in-addr.arpa', rev]]));

  it.each([
    ['corp.example', corp],
    ['dc1.corp.example', corp],
    ['lab.corp.example', lab],
    ['x.y.lab.corp.example', lab],
    ['4.3.2.10.in-addr.arpa', rev],
  ])('%s', (name, expected) => {
    expect(router.zonePool(name)).toBe(expected);
  });

  it.each(['example', 'notcorp.example', 'corp.example.org', '4.3.2.11.in-addr.arpa', ''])('no rule for %j', (name) => {
    expect(router.zonePool(name)).toBeNull();
  });

  it('does not split at an escaped dot inside a label', () => {
    expect(router.zonePool('a\\.corp.example')).toBeNull();
  });

  it('lists the default pool first', () => {
    expect(router.pools[0]).toBe(def);
    expect(router.pools).toHaveLength(4);
  });
});
