/** One rule, shared by the forwarder and the relay, for when two messages carry the same question. */

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
