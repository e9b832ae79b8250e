/** Deciding at store time, from the answer's one walk, whether an upstream answer is cacheable and for how long. */
import { checkAnswer, type AnswerLayout } from '../dns/answer-check.js';
import { FLAG2_QR, FLAG2_TC, FLAG3_RCODE, HEADER_SIZE, RCODE } from '../dns/constants.js';

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
  /** Where the OPT record is and ends (-1 when none), as the relay needs it. */
  readonly optStart: number;
  readonly optEnd: number;
}

/**
 * The TTLs of `msg` (an upstream answer whose question ends at `questionEnd`, walked into `layout`), or null when it
 * must not be cached: malformed (no layout), not a response, truncated, an RCODE other than NOERROR/NXDOMAIN
 * (SERVFAIL is never cached), or negative without an SOA to bound the negative TTL (RFC 2308 §5). The layout is
 * walked here only when the caller has none (tests); the forwarding path hands over the one it walked on arrival.
 */
export function readAnswerTtls(msg: Buffer, questionEnd: number, given?: AnswerLayout | null): AnswerTtls | null {
  const layout = given === undefined ? checkAnswer(msg, questionEnd) : given;
  if (layout === null || msg.length < HEADER_SIZE) return null;
  if ((msg[2]! & FLAG2_QR) === 0 || (msg[2]! & FLAG2_TC) !== 0) return null;
  const rcode = msg[3]! & FLAG3_RCODE;
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return null;
  const an = (msg[6]! << 8) | msg[7]!;
  const negative = rcode === RCODE.NXDOMAIN || an === 0;
  if (negative && layout.negativeTtl < 0) return null;
  const { offsets, ttls, optStart, optEnd } = layout;
  return { offsets, ttls, lifetime: negative ? layout.negativeTtl : layout.answerMin, negative, optStart, optEnd };
}
