/** Reading an upstream answer once at store time: is it cacheable, for how long, and where are its TTL fields. */
import { FLAG2_QR, FLAG2_TC, FLAG3_RCODE, HEADER_SIZE, RCODE, TYPE } from '../dns/constants.js';
import { RR_FIXED_LENGTH, skipName } from '../dns/record-walk.js';

/** What the cache needs of an answer: the offsets of every TTL field (OPT excluded), their values, and its lifetime. */
export interface AnswerTtls {
  /** Offsets of the 32-bit TTL fields of every record except OPT (whose "TTL" holds EDNS flags). */
  readonly offsets: Uint32Array;
  /** The TTLs as received, in the same order. */
  readonly ttls: Uint32Array;
  /** Seconds the answer may be cached before clamping: the smallest answer TTL, or the RFC 2308 negative TTL. */
  readonly lifetime: number;
  /** NXDOMAIN or NODATA. */
  readonly negative: boolean;
}

/** TTLs with the top bit set are treated as 0 (RFC 2181 §8). */
function ttlAt(msg: Buffer, off: number): number {
  const v = msg.readUInt32BE(off);
  return v > 0x7fffffff ? 0 : v;
}

/**
 * Walks every record of `msg` (an upstream answer whose question ends at `questionEnd`) and returns its TTLs, or
 * null when it must not be cached: not a response, truncated, an RCODE other than NOERROR/NXDOMAIN (SERVFAIL is
 * never cached), malformed, or negative without an SOA to bound the negative TTL (RFC 2308 §5).
 */
export function readAnswerTtls(msg: Buffer, questionEnd: number): AnswerTtls | null {
  const len = msg.length;
  if (len < HEADER_SIZE || questionEnd > len) return null;
  if ((msg[2]! & FLAG2_QR) === 0 || (msg[2]! & FLAG2_TC) !== 0) return null;
  const rcode = msg[3]! & FLAG3_RCODE;
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return null;
  if (msg[4] !== 0 || msg[5] !== 1) return null;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;
  const total = an + ns + ar;
  const offsets: number[] = [];
  const ttls: number[] = [];
  let answerMin = Infinity;
  let negativeTtl = -1;
  let off = questionEnd;
  // Every record takes at least 11 octets, so a lying count fails at the end of the message.
  for (let i = 0; i < total; i++) {
    const fixed = skipName(msg, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return null;
    const rdlength = (msg[fixed + 8]! << 8) | msg[fixed + 9]!;
    const end = fixed + RR_FIXED_LENGTH + rdlength;
    if (end > len) return null;
    const type = (msg[fixed]! << 8) | msg[fixed + 1]!;
    if (type !== TYPE.OPT) {
      const ttl = ttlAt(msg, fixed + 4);
      offsets.push(fixed + 4);
      ttls.push(ttl);
      if (i < an) answerMin = Math.min(answerMin, ttl);
      else if (i < an + ns && type === TYPE.SOA && rdlength >= 20 && negativeTtl < 0) {
        // RFC 2308 §5: the negative TTL is the smaller of the SOA's own TTL and its MINIMUM field.
        negativeTtl = Math.min(ttl, ttlAt(msg, end - 4));
      }
    }
    off = end;
  }
  const negative = rcode === RCODE.NXDOMAIN || an === 0;
  if (negative && negativeTtl < 0) return null;
  return {
    offsets: Uint32Array.from(offsets),
    ttls: Uint32Array.from(ttls),
    lifetime: negative ? negativeTtl : answerMin,
    negative,
  };
}
