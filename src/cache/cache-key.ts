/** The cache key of a query: its name (already lower-cased by the parser), type, class, the DO and CD bits and EDNS use. */
import type { ParsedQuery } from '../dns/types.js';

/**
 * One string per distinct question. DO and CD change what an upstream returns (RRSIGs, unvalidated data), and an
 * answer to a query without EDNS carries no OPT, so each of them is part of the key.
 */
export function cacheKey(q: ParsedQuery): string {
  const flags = (q.edns === null ? 0 : 4) | (q.edns?.dnssecOk === true ? 2 : 0) | (q.checkingDisabled ? 1 : 0);
  return `${q.qtype}/${q.qclass}/${flags}/${q.qname}`;
}
