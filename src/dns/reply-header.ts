/** The header of every answer hradba writes itself (sinkhole, local zone, error replies). */

import { FLAG2_OPCODE, FLAG2_QR, FLAG2_RD, FLAG3_CD, FLAG3_RA, FLAG3_RCODE } from './constants.js';

/**
 * Writes a 12-byte reply header into out[0..12): ID, opcode, RD and CD echoed from the query; QR and RA set;
 * AA, TC, Z and AD clear (we are a recursive service, not an authority, and we validate nothing); the low
 * 4 bits of `rcode` (an extended RCODE's upper bits travel in the OPT record).
 */
export function writeReplyHeader(
  out: Buffer,
  msg: Buffer,
  rcode: number,
  qdcount: number,
  ancount: number,
  nscount: number,
  arcount: number,
): void {
  out[0] = msg[0] ?? 0;
  out[1] = msg[1] ?? 0;
  out[2] = FLAG2_QR | ((msg[2] ?? 0) & (FLAG2_OPCODE | FLAG2_RD));
  out[3] = FLAG3_RA | ((msg[3] ?? 0) & FLAG3_CD) | (rcode & FLAG3_RCODE);
  out[4] = qdcount >>> 8;
  out[5] = qdcount & 0xff;
  out[6] = ancount >>> 8;
  out[7] = ancount & 0xff;
  out[8] = nscount >>> 8;
  out[9] = nscount & 0xff;
  out[10] = arcount >>> 8;
  out[11] = arcount & 0xff;
}
