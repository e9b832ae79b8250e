/** Turning an upstream answer into the client's answer, byte for byte except the ID, the RD/CD/RA/AA flags, the question's case and (for non-EDNS clients) the OPT. */

import { FLAG2_AA, FLAG2_QR, FLAG2_RD, FLAG3_CD, FLAG3_RA, HEADER_SIZE, TYPE } from './constants.js';
import { RR_FIXED_LENGTH, additionalStart, skipName } from './record-walk.js';
import { sameQuestion } from './same-question.js';
import type { ParsedQuery } from './types.js';

/** Where the one OPT record of a checked answer sits (see AnswerLayout): its start and end, both -1 when it has none. */
export interface OptPlace {
  readonly optStart: number;
  readonly optEnd: number;
}

/**
 * The client's answer made from an upstream answer: the client's ID, RD and CD (RFC 4035 §3.2.2: CD is copied from
 * the query; the upstream was always asked with RD set), RA set and AA cleared, the client's question bytes (restoring
 * its case), and, when the client sent no OPT, the upstream's OPT records removed (RFC 6891 §7) with ARCOUNT
 * adjusted. Everything else is copied untouched. Null when the upstream message is unusable: too short,
 * not a response, not exactly the client's question, or (when records must be walked) malformed. `opt`, from the
 * answer's check on arrival, saves walking the records again to find the OPT.
 */
export function relayAnswer(upstream: Buffer, msg: Buffer, q: ParsedQuery, opt?: OptPlace): Buffer | null {
  const questionEnd = q.questionEnd;
  const len = upstream.length;
  if (len < questionEnd || len < HEADER_SIZE) return null;
  if ((upstream[2]! & FLAG2_QR) === 0) return null;
  if (upstream[4] !== 0 || upstream[5] !== 1) return null;
  if (!sameQuestion(upstream, msg, questionEnd)) return null;

  const arcount = (upstream[10]! << 8) | upstream[11]!;
  let out: Buffer;
  if (q.edns === null && arcount > 0) {
    const stripped = opt === undefined ? withoutOpt(upstream, questionEnd, arcount) : withoutOptAt(upstream, opt, arcount);
    if (stripped === null) return null;
    out = stripped;
  } else {
    out = Buffer.allocUnsafe(len);
    upstream.copy(out);
  }
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  // We are the client's recursive resolver, not the zone's authority: RA on, AA off, whatever the upstream was;
  // RD and CD are the client's, as in every answer we write ourselves.
  out[2] = (out[2]! & ~(FLAG2_AA | FLAG2_RD)) | (msg[2]! & FLAG2_RD);
  out[3] = (out[3]! & ~FLAG3_CD) | (msg[3]! & FLAG3_CD) | FLAG3_RA;
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  return out;
}

/** A copy of `upstream` without the OPT record at `opt` (already checked: the only one), ARCOUNT lowered. */
function withoutOptAt(upstream: Buffer, opt: OptPlace, arcount: number): Buffer {
  const { optStart, optEnd } = opt;
  const len = upstream.length;
  if (optStart < 0) {
    const out = Buffer.allocUnsafe(len);
    upstream.copy(out);
    return out;
  }
  const out = Buffer.allocUnsafe(len - (optEnd - optStart));
  upstream.copy(out, 0, 0, optStart);
  upstream.copy(out, optStart, optEnd, len);
  out[10] = (arcount - 1) >>> 8;
  out[11] = (arcount - 1) & 0xff;
  return out;
}

/** A copy of `upstream` without its OPT records (ARCOUNT lowered), the copy itself when it has none, or null if malformed. */
function withoutOpt(upstream: Buffer, questionEnd: number, arcount: number): Buffer | null {
  const start = additionalStart(upstream, questionEnd);
  if (start < 0) return null;
  const len = upstream.length;
  // First pass: validate ADDITIONAL and measure what goes. Bounded: each record is at least 11 octets.
  let removedBytes = 0;
  let removedCount = 0;
  let off = start;
  for (let i = 0; i < arcount; i++) {
    const fixed = skipName(upstream, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return null;
    const end = fixed + RR_FIXED_LENGTH + ((upstream[fixed + 8]! << 8) | upstream[fixed + 9]!);
    if (end > len) return null;
    if (((upstream[fixed]! << 8) | upstream[fixed + 1]!) === TYPE.OPT) {
      removedBytes += end - off;
      removedCount++;
    }
    off = end;
  }
  const out = Buffer.allocUnsafe(len - removedBytes);
  if (removedCount === 0) {
    upstream.copy(out);
    return out;
  }
  // Second pass: copy everything but the OPT records (usually one, usually last).
  upstream.copy(out, 0, 0, start);
  let to = start;
  off = start;
  for (let i = 0; i < arcount; i++) {
    const fixed = skipName(upstream, off);
    const end = fixed + RR_FIXED_LENGTH + ((upstream[fixed + 8]! << 8) | upstream[fixed + 9]!);
    if (((upstream[fixed]! << 8) | upstream[fixed + 1]!) !== TYPE.OPT) to += upstream.copy(out, to, off, end);
    off = end;
  }
  // Anything after the counted records (there should be nothing) is kept, as the rest of the message is.
  upstream.copy(out, to, off, len);
  const ar = arcount - removedCount;
  out[10] = ar >>> 8;
  out[11] = ar & 0xff;
  return out;
}
