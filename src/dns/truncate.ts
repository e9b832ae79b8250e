/** Fitting an answer into the client's UDP limit: as is, or as a valid TC=1 message that sends the client to TCP. */

import { CLASSIC_UDP_SIZE, FLAG2_TC, HEADER_SIZE, TYPE } from './constants.js';
import { optLength, writeOpt } from './opt.js';
import { RR_FIXED_LENGTH, additionalStart, skipName } from './record-walk.js';
import type { ParsedQuery } from './types.js';

/**
 * Largest UDP answer the client may get: 512 without EDNS (RFC 1035), else what it advertised, at least 512
 * (RFC 6891 §6.2.5) and at most our own UDP size (RFC 6891 §6.2.4: larger datagrams risk fragmentation).
 */
export function clientUdpLimit(q: ParsedQuery, ourUdpSize: number): number {
  if (q.edns === null) return CLASSIC_UDP_SIZE;
  const ours = Math.max(CLASSIC_UDP_SIZE, ourUdpSize);
  return Math.min(Math.max(CLASSIC_UDP_SIZE, q.edns.udpSize), ours);
}

/**
 * The answer to send over UDP: `answer` itself when it fits the client's limit, else header + question with
 * TC=1 and no records, plus an OPT when the client used EDNS (the answer's own OPT, or a fresh one).
 * Never a message cut in the middle of a record.
 */
export function fitUdp(answer: Buffer, q: ParsedQuery, ourUdpSize: number): Buffer {
  const limit = clientUdpLimit(q, ourUdpSize);
  if (answer.length <= limit) return answer;
  const questionEnd = q.questionEnd;
  // limit >= 512 > any question's end (<= 271), so the oversized answer holds the whole question.
  let optStart = -1;
  let optEnd = -1;
  if (q.edns !== null) {
    const at = findOpt(answer, questionEnd);
    if (at >= 0 && questionEnd + (optRecordEnd - at) <= limit) {
      optStart = at;
      optEnd = optRecordEnd;
    }
  }
  const optBytes = q.edns === null ? 0 : optStart >= 0 ? optEnd - optStart : optLength(null);
  const out = Buffer.allocUnsafe(questionEnd + optBytes);
  answer.copy(out, 0, 0, questionEnd);
  out[2] = answer[2]! | FLAG2_TC;
  out[4] = 0;
  out[5] = 1;
  out[6] = 0;
  out[7] = 0;
  out[8] = 0;
  out[9] = 0;
  out[10] = 0;
  out[11] = q.edns === null ? 0 : 1;
  if (optStart >= 0) answer.copy(out, questionEnd, optStart, optEnd);
  else if (q.edns !== null) {
    // The answer's extended RCODE bits are lost with its OPT; its header RCODE is kept.
    writeOpt(out, questionEnd, ourUdpSize, answer[3]! & 0xf, q.edns.dnssecOk, 0, null);
  }
  return out;
}

/** End offset of the OPT record found by findOpt. */
let optRecordEnd = -1;

/** Offset of the first OPT record in the ADDITIONAL section (its root owner), or -1 when absent, unreachable or odd. */
function findOpt(answer: Buffer, questionEnd: number): number {
  if (answer.length < HEADER_SIZE) return -1;
  let off = additionalStart(answer, questionEnd);
  if (off < 0) return -1;
  const arcount = (answer[10]! << 8) | answer[11]!;
  const len = answer.length;
  for (let i = 0; i < arcount; i++) {
    const fixed = skipName(answer, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return -1;
    const end = fixed + RR_FIXED_LENGTH + ((answer[fixed + 8]! << 8) | answer[fixed + 9]!);
    if (end > len) return -1;
    if (((answer[fixed]! << 8) | answer[fixed + 1]!) === TYPE.OPT) {
      // Copied elsewhere, a compressed owner would point at the wrong bytes: only a literal root will do.
      if (fixed !== off + 1) return -1;
      optRecordEnd = end;
      return off;
    }
    off = end;
  }
  return -1;
}
