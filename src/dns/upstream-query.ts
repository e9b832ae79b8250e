/** The client's query as it goes upstream: always asking for recursion, whatever the client asked. */
import { FLAG2_RD } from './constants.js';

/**
 * `query` with RD set: the same buffer when the client set it (the usual case, no copy), else a copy with RD on.
 * hradba is the client's recursive resolver, so its upstreams are always asked to recurse; passing RD=0 on would let a
 * client probe the upstreams' caches through hradba, and bring it an upstream's refusal of non-recursive queries.
 * The client's own RD still goes back in its answer (see relayAnswer).
 */
export function withRecursionDesired(query: Buffer): Buffer {
  if (query.length < 3 || (query[2]! & FLAG2_RD) !== 0) return query;
  const out = Buffer.from(query);
  out[2] = out[2]! | FLAG2_RD;
  return out;
}
