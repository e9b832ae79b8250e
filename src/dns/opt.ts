/** The OPT pseudo-record (EDNS(0), RFC 6891) hradba puts in its own answers, with an optional Extended DNS Error (RFC 8914). */

import { OPTION_CODE, TYPE } from './constants.js';

/** An Extended DNS Error to attach: INFO-CODE (see EDE in constants.ts) and free text. */
export interface EdeOption {
  readonly code: number;
  readonly text: string;
}

/** Longest EDE EXTRA-TEXT we send, in UTF-8 bytes: the text is for humans, and answers must stay well under 512 bytes. */
export const EDE_TEXT_MAX_BYTES = 150;

/** Bytes of an OPT record without options: root owner (1), TYPE, CLASS, TTL, RDLENGTH. */
export const OPT_FIXED_LENGTH = 11;

// EDE option header: OPTION-CODE, OPTION-LENGTH, INFO-CODE.
const EDE_HEADER_LENGTH = 6;

// EDE texts come from config (a handful of distinct strings), so encoding each once is enough;
// the bound only matters if a caller feeds ever-changing texts.
const EDE_CACHE_MAX = 256;
const edeCache = new Map<string, Buffer>();

/** UTF-8 bytes of an EDE text, cut to EDE_TEXT_MAX_BYTES on a character boundary (memoised). */
export function edeTextBytes(text: string): Buffer {
  const hit = edeCache.get(text);
  if (hit !== undefined) return hit;
  // Each UTF-16 unit encodes to at least one byte, so slicing first keeps the work bounded for long inputs.
  // A surrogate pair split by the slice can only be the last character, and it is cut below anyway.
  const source = text.length > EDE_TEXT_MAX_BYTES ? text.slice(0, EDE_TEXT_MAX_BYTES) : text;
  let bytes = Buffer.from(source, 'utf8');
  if (bytes.length > EDE_TEXT_MAX_BYTES) {
    let cut = EDE_TEXT_MAX_BYTES;
    // bytes[cut] is the first byte dropped; if it continues a character, back up to that character's lead byte.
    while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  if (edeCache.size >= EDE_CACHE_MAX) edeCache.clear();
  edeCache.set(text, bytes);
  return bytes;
}

/** Wire length of the OPT record writeOpt writes, given the EDE text bytes (null: no EDE option). */
export function optLength(edeText: Buffer | null): number {
  return edeText === null ? OPT_FIXED_LENGTH : OPT_FIXED_LENGTH + EDE_HEADER_LENGTH + edeText.length;
}

/**
 * Writes an OPT record at `off` and returns the offset past it: our UDP payload size, the upper 8 bits of
 * `rcode`, version 0, the DO bit as the query had it (RFC 3225), and an EDE option when `edeText` is not null.
 */
export function writeOpt(
  out: Buffer,
  off: number,
  udpSize: number,
  rcode: number,
  dnssecOk: boolean,
  edeCode: number,
  edeText: Buffer | null,
): number {
  const rdlength = edeText === null ? 0 : EDE_HEADER_LENGTH + edeText.length;
  out[off] = 0; // owner: the root
  out[off + 1] = TYPE.OPT >>> 8;
  out[off + 2] = TYPE.OPT & 0xff;
  out[off + 3] = (udpSize >>> 8) & 0xff;
  out[off + 4] = udpSize & 0xff;
  out[off + 5] = (rcode >>> 4) & 0xff; // EXTENDED-RCODE
  out[off + 6] = 0; // VERSION
  out[off + 7] = dnssecOk ? 0x80 : 0;
  out[off + 8] = 0;
  out[off + 9] = rdlength >>> 8;
  out[off + 10] = rdlength & 0xff;
  off += OPT_FIXED_LENGTH;
  if (edeText === null) return off;
  const optionLength = 2 + edeText.length;
  out[off] = OPTION_CODE.EDE >>> 8;
  out[off + 1] = OPTION_CODE.EDE & 0xff;
  out[off + 2] = optionLength >>> 8;
  out[off + 3] = optionLength & 0xff;
  out[off + 4] = (edeCode >>> 8) & 0xff;
  out[off + 5] = edeCode & 0xff;
  edeText.copy(out, off + EDE_HEADER_LENGTH);
  return off + EDE_HEADER_LENGTH + edeText.length;
}
