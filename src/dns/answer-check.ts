/**
 * The one walk over an upstream answer before it is relayed or cached: it decides whether the message is well-formed
 * and records what the relay and the cache need of it (where its TTLs are, where its OPT is), so neither walks again.
 */
import { FLAG2_QR, HEADER_SIZE, TYPE } from './constants.js';
import { RR_FIXED_LENGTH, checkName } from './record-walk.js';

/** What the walk found in a well-formed answer. Offsets are into the message walked. */
export interface AnswerLayout {
  /** Offsets of the 32-bit TTL fields of every record except OPT (whose "TTL" holds EDNS flags), in message order. */
  readonly offsets: Uint32Array;
  /** The TTLs as received, in the same order; a TTL with the top bit set reads as 0 (RFC 2181 §8). */
  readonly ttls: Uint32Array;
  /** The smallest TTL in the ANSWER section, or -1 when it is empty. */
  readonly answerMin: number;
  /** RFC 2308 §5: the smaller of the first AUTHORITY SOA's TTL and its MINIMUM field, or -1 when there is no SOA. */
  readonly negativeTtl: number;
  /** Offset of the OPT record (its root owner octet) and just past it; both -1 when there is none. */
  readonly optStart: number;
  readonly optEnd: number;
  /** Where the last record ends: the message's length, unless bytes follow it (see wellFormedPart). */
  readonly length: number;
}

/**
 * The part of a checked message that is its records: the message itself, or, when bytes follow the last counted record,
 * the message without them. Such bytes belong to no record, so they are dropped rather than relayed; the message
 * they follow is sound (resolvers such as Knot Resolver ignore them the same way).
 */
export function wellFormedPart(msg: Buffer, layout: AnswerLayout): Buffer {
  return layout.length === msg.length ? msg : msg.subarray(0, layout.length);
}

/**
 * Scratch for the walk (it is synchronous, so one pair serves every call): the records' TTL offsets and values are
 * gathered here, then copied into arrays of the exact size. Sized for the most records a 65,535-octet message holds.
 * Cutting views out of larger fresh arrays instead costs more than the copy (V8 moves their storage off the heap).
 */
const MAX_RECORDS = Math.ceil(65_535 / (RR_FIXED_LENGTH + 1));
const scratchOffsets = new Uint32Array(MAX_RECORDS);
const scratchTtls = new Uint32Array(MAX_RECORDS);

/** TTLs with the top bit set are treated as 0 (RFC 2181 §8). */
function ttlAt(msg: Buffer, off: number): number {
  const v = msg.readUInt32BE(off);
  return v > 0x7fffffff ? 0 : v;
}

/**
 * Where the names inside a record's RDATA must end for the types whose RDATA is made of names (RFC 1035 §3.3, the
 * types a decoder decompresses): the offset just past the RDATA when they fit it exactly, else -1. Other types are
 * opaque bytes, relayed as they are.
 */
function rdataNamesEnd(msg: Buffer, type: number, rdata: number, end: number): number {
  switch (type) {
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.DNAME:
      return checkName(msg, rdata);
    case TYPE.MX:
      return rdata + 2 < end ? checkName(msg, rdata + 2) : -1;
    case TYPE.SOA: {
      const rname = checkName(msg, rdata);
      const serial = rname < 0 ? -1 : checkName(msg, rname);
      return serial < 0 ? -1 : serial + 20;
    }
    default:
      return end;
  }
}

/** The options in an OPT record's RDATA tile it exactly (RFC 6891 §6.1.2). */
function optionsFit(msg: Buffer, rdata: number, end: number): boolean {
  let o = rdata;
  while (o + 4 <= end) o += 4 + ((msg[o + 2]! << 8) | msg[o + 3]!);
  return o === end;
}

/**
 * Walks every record of `msg`, an upstream response whose single question ends at `questionEnd` (already matched to
 * the query), and returns its layout, or null when it is malformed: a count larger than the records present, a name
 * that runs past the end, loops or is too long (owners and the names in NS, CNAME, PTR, DNAME, MX and SOA RDATA), an
 * RDLENGTH past the end or not matching the names it holds, an OPT record outside ADDITIONAL, not owned by the root,
 * repeated, of an EDNS version other than 0 (we only ever send 0) or with options that do not fit it. Bytes after
 * the last record are reported in `length`, not refused (see wellFormedPart). Bounded: every record takes at least
 * 11 octets, so a lying count fails before the walk starts.
 */
export function checkAnswer(msg: Buffer, questionEnd: number): AnswerLayout | null {
  const len = msg.length;
  if (len < HEADER_SIZE || questionEnd > len || (msg[2]! & FLAG2_QR) === 0) return null;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const total = an + ns + ((msg[10]! << 8) | msg[11]!);
  if (total * (RR_FIXED_LENGTH + 1) > len - questionEnd) return null;
  let n = 0;
  let answerMin = -1;
  let negativeTtl = -1;
  let optStart = -1;
  let optEnd = -1;
  let off = questionEnd;
  for (let i = 0; i < total; i++) {
    const fixed = checkName(msg, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return null;
    const type = (msg[fixed]! << 8) | msg[fixed + 1]!;
    const rdata = fixed + RR_FIXED_LENGTH;
    const end = rdata + ((msg[fixed + 8]! << 8) | msg[fixed + 9]!);
    if (end > len) return null;
    if (type === TYPE.OPT) {
      // RFC 6891 §6.1.1: one OPT, in ADDITIONAL, owned by the root; the version sits in the TTL's second octet.
      if (i < an + ns || optStart >= 0 || msg[off] !== 0 || msg[fixed + 5] !== 0 || !optionsFit(msg, rdata, end)) return null;
      optStart = off;
      optEnd = end;
    } else {
      if (rdataNamesEnd(msg, type, rdata, end) !== end) return null;
      const ttl = ttlAt(msg, fixed + 4);
      scratchOffsets[n] = fixed + 4;
      scratchTtls[n++] = ttl;
      if (i < an) answerMin = answerMin < 0 ? ttl : Math.min(answerMin, ttl);
      else if (i < an + ns && type === TYPE.SOA && negativeTtl < 0) negativeTtl = Math.min(ttl, ttlAt(msg, end - 4));
    }
    off = end;
  }
  const offsets = new Uint32Array(n);
  const ttls = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    offsets[i] = scratchOffsets[i]!;
    ttls[i] = scratchTtls[i]!;
  }
  return {
    offsets,
    ttls,
    answerMin,
    negativeTtl,
    optStart,
    optEnd,
    length: off,
  };
}
