/** Decides whether an upstream message answers the query we sent (RFC 5452 §9.1: ID, QR and question must match). */
import { FLAG2_OPCODE, FLAG2_QR } from '../dns/constants.js';

/**
 * Compares the question of `reply` with ours (query bytes 12..questionEnd): the name ASCII case-insensitively
 * (upstreams may change case, e.g. 0x20 randomisation), QTYPE and QCLASS exactly.
 */
export function sameQuestion(reply: Buffer, query: Buffer, questionEnd: number): boolean {
  if (reply.length < questionEnd) return false;
  // Only letters may differ, and only in case; length bytes and other octets must be equal.
  const nameEnd = questionEnd - 4;
  for (let i = 12; i < nameEnd; i++) {
    const a = reply[i]!;
    const b = query[i]!;
    if (a !== b) {
      if ((a ^ b) !== 0x20) return false;
      const lower = a | 0x20;
      if (lower < 0x61 || lower > 0x7a) return false; // differs only in bit 0x20, but is not a letter
    }
  }
  for (let i = nameEnd; i < questionEnd; i++) if (reply[i] !== query[i]) return false;
  return true;
}

/** Reports whether `reply` is a response with ID `id`, our opcode, our single question and its echo. */
export function isAnswerTo(reply: Buffer, id: number, query: Buffer, questionEnd: number): boolean {
  return (
    reply.length >= questionEnd &&
    reply.readUInt16BE(0) === id &&
    (reply[2]! & FLAG2_QR) !== 0 && // a response
    (reply[2]! & FLAG2_OPCODE) === (query[2]! & FLAG2_OPCODE) &&
    reply[4] === query[4] &&
    reply[5] === query[5] && // QDCOUNT
    sameQuestion(reply, query, questionEnd)
  );
}
