/** The synthetic SOA record hradba puts in negative answers (sinkhole and local zones), so clients cache them (RFC 2308). */

import { CLASS_IN, HEADER_SIZE, TYPE } from './constants.js';

/** Pass as `owner` to writeSoa for an SOA owned by the root zone. */
export const SOA_OWNER_ROOT = 0;

// RDATA: MNAME hradba.invalid., RNAME hostmaster.<pointer to MNAME>, SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
// The pointer (bytes 27..28) and MINIMUM (bytes 45..48) are patched per answer.
const MNAME = Buffer.from('\x06hradba\x07invalid\x00', 'latin1');
const RNAME_LABEL = Buffer.from('\x0ahostmaster', 'latin1');
const RDATA_TEMPLATE = Buffer.concat([MNAME, RNAME_LABEL, Buffer.alloc(2), Buffer.alloc(20)]);
const POINTER_AT = MNAME.length + RNAME_LABEL.length;
const TIMERS_AT = POINTER_AT + 2;
RDATA_TEMPLATE.writeUInt32BE(1, TIMERS_AT); // SERIAL
RDATA_TEMPLATE.writeUInt32BE(3600, TIMERS_AT + 4); // REFRESH
RDATA_TEMPLATE.writeUInt32BE(600, TIMERS_AT + 8); // RETRY
RDATA_TEMPLATE.writeUInt32BE(86400, TIMERS_AT + 12); // EXPIRE
const MINIMUM_AT = TIMERS_AT + 16;

/** Longest TTL we write (RFC 2181 §8: TTLs are 31-bit). */
const TTL_MAX = 0x7fffffff;

/** A TTL in seconds made safe for the wire: an integer in 0..2^31-1. */
export function wireTtl(seconds: number): number {
  if (!(seconds > 0)) return 0;
  return seconds >= TTL_MAX ? TTL_MAX : Math.floor(seconds);
}

/** Wire length of the SOA record writeSoa writes for that owner. */
export function soaLength(owner: number): number {
  return (owner === SOA_OWNER_ROOT ? 1 : 2) + 10 + RDATA_TEMPLATE.length;
}

/**
 * Writes the SOA record at `off` and returns the offset past it. `owner` is the offset of the zone's name
 * already in `out` (written as a compression pointer), or SOA_OWNER_ROOT. TTL and MINIMUM are both `ttl`,
 * which makes it the negative-caching time (RFC 2308 §5: the lesser of the two).
 */
export function writeSoa(out: Buffer, off: number, owner: number, ttl: number): number {
  const t = wireTtl(ttl);
  if (owner === SOA_OWNER_ROOT) out[off++] = 0;
  else {
    out[off++] = 0xc0 | (owner >>> 8);
    out[off++] = owner & 0xff;
  }
  out[off] = 0;
  out[off + 1] = TYPE.SOA;
  out[off + 2] = 0;
  out[off + 3] = CLASS_IN;
  out.writeUInt32BE(t, off + 4);
  out[off + 8] = RDATA_TEMPLATE.length >>> 8;
  out[off + 9] = RDATA_TEMPLATE.length & 0xff;
  const rdata = off + 10;
  RDATA_TEMPLATE.copy(out, rdata);
  out[rdata + POINTER_AT] = 0xc0 | (rdata >>> 8); // RNAME's suffix is MNAME, right at the start of RDATA
  out[rdata + POINTER_AT + 1] = rdata & 0xff;
  out.writeUInt32BE(t, rdata + MINIMUM_AT);
  return rdata + RDATA_TEMPLATE.length;
}

/**
 * Offset, inside the question at msg[12..questionEnd), where the name `zone` starts as a suffix of the
 * query name (compared case-insensitively, in the query's presentation form), so the SOA owner can be a
 * pointer to it. SOA_OWNER_ROOT for the root zone, -1 when `zone` is not a suffix of the query name.
 */
export function zoneOwnerOffset(msg: Buffer, questionEnd: number, zone: string): number {
  if (zone === '') return SOA_OWNER_ROOT;
  let zoneLabels = 1;
  for (let i = 0; i < zone.length; i++) {
    const c = zone.charCodeAt(i);
    if (c === 0x5c) i++; // the next character is escaped
    else if (c === 0x2e) zoneLabels++;
  }
  // Count the query's labels (the question was validated by parseQuery: no pointers, in bounds).
  const nameEnd = questionEnd - 4;
  let labels = 0;
  for (let o = HEADER_SIZE; o < nameEnd && msg[o]! !== 0; o += msg[o]! + 1) labels++;
  if (labels < zoneLabels) return -1;
  let start = HEADER_SIZE;
  for (let skip = labels - zoneLabels; skip > 0; skip--) start += msg[start]! + 1;
  // Compare the suffix in presentation form (same escapes and folding as parseQuery) with `zone`.
  let z = 0;
  for (let o = start; o < nameEnd && msg[o]! !== 0; ) {
    const end = o + 1 + msg[o]!;
    if (o !== start && zone.charCodeAt(z++) !== 0x2e) return -1;
    for (let i = o + 1; i < end; i++) {
      let b = msg[i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      else if (b === 0x2e || b === 0x5c) {
        if (zone.charCodeAt(z++) !== 0x5c) return -1;
      }
      if (zone.charCodeAt(z++) !== b) return -1;
    }
    o = end;
  }
  return z === zone.length ? start : -1;
}
