/** Bounds-checked walking over names and resource records in a raw message, without decoding them. */
import { TYPE } from './constants.js';

/** Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE = 255;

/** Fixed part of a resource record after its owner name: TYPE, CLASS, TTL, RDLENGTH. */
export const RR_FIXED_LENGTH = 10;

/**
 * Offset just past the name that starts at `off`, or -1 when the name is malformed: it runs past the end,
 * uses label type 01 or 10, is longer than 255 octets, or holds a compression pointer that does not point
 * strictly backwards. Pointers are checked but never followed: skipping needs only the bytes in place. What a
 * pointer leads to is not checked (a chain can still loop for whoever follows it): checkName does that, once, for
 * every upstream answer on arrival (see answer-check.ts), so later walks over checked answers may skip.
 */
export function skipName(msg: Buffer, off: number): number {
  const len = msg.length;
  let wire = 1; // the root label (or the pointer's target) ends the name
  // Each pass consumes a label of at least 2 wire octets and `wire` is capped, so this runs < 128 times.
  for (;;) {
    if (off >= len) return -1;
    const l = msg[off]!;
    if (l === 0) return off + 1;
    const kind = l & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= len) return -1;
      const target = ((l & 0x3f) << 8) | msg[off + 1]!;
      return target < off ? off + 2 : -1;
    }
    if (kind !== 0) return -1;
    wire += l + 1;
    if (wire > MAX_NAME_WIRE) return -1;
    off += l + 1;
  }
}

/** Offset just past the resource record that starts at `off`, or -1 when it is malformed or runs past the end. */
export function skipRecord(msg: Buffer, off: number): number {
  const fixed = skipName(msg, off);
  if (fixed < 0 || fixed + RR_FIXED_LENGTH > msg.length) return -1;
  const end = fixed + RR_FIXED_LENGTH + ((msg[fixed + 8]! << 8) | msg[fixed + 9]!);
  return end <= msg.length ? end : -1;
}

/** Skips `count` records from `off`; returns the offset past the last one, or -1. Bounded by the message length. */
export function skipRecords(msg: Buffer, off: number, count: number): number {
  // Every record takes at least 11 octets, so a huge count fails fast at the end of the message.
  for (let i = 0; i < count && off >= 0; i++) off = skipRecord(msg, off);
  return off;
}

/** Offset of the first ADDITIONAL record of a message whose question ends at `questionEnd`, or -1. */
export function additionalStart(msg: Buffer, questionEnd: number): number {
  if (msg.length < 12) return -1;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  return skipRecords(msg, questionEnd, an + ns);
}

/** Where a message's OPT record sits: the offset of its fixed part (TYPE), of its RDATA, and of its end. */
export interface OptPosition {
  readonly fixed: number;
  readonly rdStart: number;
  readonly end: number;
}

/** findOpt walks the ADDITIONAL section to the first OPT record; null when there is none or the records cannot be walked. */
export function findOpt(msg: Buffer, questionEnd: number): OptPosition | null {
  const ar = (msg[10]! << 8) | msg[11]!;
  if (ar === 0) return null;
  let off = additionalStart(msg, questionEnd);
  if (off < 0) return null;
  const len = msg.length;
  for (let i = 0; i < ar; i++) {
    const fixed = skipName(msg, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return null;
    const rdStart = fixed + RR_FIXED_LENGTH;
    const end = rdStart + ((msg[fixed + 8]! << 8) | msg[fixed + 9]!);
    if (end > len) return null;
    if (((msg[fixed]! << 8) | msg[fixed + 1]!) === TYPE.OPT) return { fixed, rdStart, end };
    off = end;
  }
  return null;
}

/**
 * Compression pointers followed per name at most while checking it: a name has at most 127 labels, so a longer
 * chain holds pointers to pointers, which no encoder writes.
 */
const MAX_NAME_POINTERS = 127;

/**
 * Like skipName, but checks the whole name as a decoder would read it, following compression pointers: each pointer
 * must point strictly before the labels read so far (so no chain of pointers can loop, however it is built), the
 * name as decoded must fit 255 octets, and every label must lie inside the message. Returns the offset just past
 * the name's bytes in place (past its first pointer, if any), or -1.
 */
export function checkName(msg: Buffer, off: number): number {
  const len = msg.length;
  let wire = 1;
  let end = -1;
  let before = off;
  let jumps = 0;
  // Labels move forward and are capped by `wire`; pointers move strictly backwards and are capped by count.
  for (;;) {
    if (off >= len) return -1;
    const l = msg[off]!;
    if (l === 0) return end < 0 ? off + 1 : end;
    const kind = l & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= len || ++jumps > MAX_NAME_POINTERS) return -1;
      const target = ((l & 0x3f) << 8) | msg[off + 1]!;
      if (target >= before) return -1;
      if (end < 0) end = off + 2;
      before = target;
      off = target;
      continue;
    }
    if (kind !== 0) return -1;
    wire += l + 1;
    if (wire > MAX_NAME_WIRE) return -1;
    off += l + 1;
  }
}
