/** Reading a client's query off the wire: header checks, the one question, the OPT record; never throws. */

import {
  FLAG2_OPCODE,
  FLAG2_QR,
  FLAG2_RD,
  FLAG3_CD,
  HEADER_SIZE,
  OPCODE_QUERY,
  RCODE,
  TYPE,
} from './constants.js';
import { MAX_NAME_WIRE, RR_FIXED_LENGTH, skipName, skipRecords } from './record-walk.js';
import type { EdnsInfo, ParsedQuery, QueryFailure, QueryParseResult } from './types.js';

// Failures that carry nothing from the message are shared constants: a flood of junk allocates nothing.
function fail(failure: QueryFailure): QueryParseResult {
  return Object.freeze({ ok: false, failure: Object.freeze(failure) });
}
const DROP_SHORT = fail({ action: 'drop', reason: 'message shorter than the 12-octet header' });
const DROP_RESPONSE = fail({ action: 'drop', reason: 'QR=1: a response, not a query' });
function formErr(reason: string): QueryParseResult {
  return fail({ action: 'reply', reason, rcode: RCODE.FORMERR, questionEnd: 0, edns: null });
}
const FORMERR_NO_QUESTION = formErr('QDCOUNT=0: no question');
const FORMERR_QUESTIONS = formErr('QDCOUNT>1: more than one question');
const FORMERR_NAME_TRUNCATED = formErr('question name runs past the end of the message');
const FORMERR_POINTER = formErr('compression pointer in the question name');
const FORMERR_LABEL_TYPE = formErr('label longer than 63 octets or of an unsupported type (01/10)');
const FORMERR_NAME_LONG = formErr('question name longer than 255 octets');
const FORMERR_NO_TYPE = formErr('question ends before QTYPE/QCLASS');
const FORMERR_RECORDS = formErr('malformed or truncated record after the question');
const FORMERR_TWO_OPT = formErr('more than one OPT record');
const FORMERR_OPT_OWNER = formErr('OPT record owner is not the root');
const FORMERR_OPT_OPTIONS = formErr('OPT record options do not fill its RDATA');

// Name walk outcomes below zero; indexes into NAME_FAILURES.
const NAME_TRUNCATED = -1;
const NAME_POINTER = -2;
const NAME_LABEL_TYPE = -3;
const NAME_TOO_LONG = -4;
const NAME_FAILURES = [FORMERR_NAME_TRUNCATED, FORMERR_POINTER, FORMERR_LABEL_TYPE, FORMERR_NAME_LONG];

// The lower-cased, escaped query name is assembled here and turned into a string with one native call
// (measured faster than per-label slices or String.fromCharCode). Module state is safe: parsing is synchronous.
// Worst case: 254 label octets each escaped to 2 characters, plus dots: under 512.
const nameChars = Buffer.alloc(512);
let nameLength = 0;
const DOT = 0x2e;
const BACKSLASH = 0x5c;

/**
 * Walks the question name at offset 12 and returns the offset just past its root label, or a NAME_* code.
 * With `build`, it also writes the presentation form into nameChars[0..nameLength): ASCII lower-cased,
 * labels joined by '.', a '.' or '\' inside a label escaped with '\' so distinct names never render alike.
 */
function walkQuestionName(msg: Buffer, build: boolean): number {
  const len = msg.length;
  let off = HEADER_SIZE;
  let wire = 1;
  let n = 0;
  // Each pass consumes at least 2 wire octets and `wire` is capped at 255, so this runs < 128 times.
  for (;;) {
    if (off >= len) return NAME_TRUNCATED;
    const l = msg[off]!;
    if (l === 0) break;
    if ((l & 0xc0) === 0xc0) return NAME_POINTER;
    if ((l & 0xc0) !== 0) return NAME_LABEL_TYPE;
    wire += l + 1;
    if (wire > MAX_NAME_WIRE) return NAME_TOO_LONG;
    const end = off + 1 + l;
    if (end > len) return NAME_TRUNCATED;
    if (build) {
      if (n > 0) nameChars[n++] = DOT;
      for (let i = off + 1; i < end; i++) {
        const b = msg[i]!;
        if (b >= 0x41 && b <= 0x5a) nameChars[n++] = b | 0x20;
        else if (b === DOT || b === BACKSLASH) {
          nameChars[n++] = BACKSLASH;
          nameChars[n++] = b;
        } else nameChars[n++] = b;
      }
    }
    off = end;
  }
  nameLength = n;
  return off + 1;
}

// Result of scanning the records after the question for the OPT record.
const SCAN_MALFORMED = -1;
const SCAN_TWO_OPT = -2;
const SCAN_OPT_OWNER = -3;
const SCAN_OPT_OPTIONS = -4;
const SCAN_FAILURES = [FORMERR_RECORDS, FORMERR_TWO_OPT, FORMERR_OPT_OWNER, FORMERR_OPT_OPTIONS];
/** Offset of the OPT record's fixed part (its TYPE), set by scanForOpt; -1 when there is none. */
let optAt = -1;

/**
 * Skips ANSWER and AUTHORITY (a query should have none, but one that carries well-formed records is
 * tolerated) and walks ADDITIONAL for the OPT record. Returns 0 or a SCAN_* code; sets optAt.
 */
function scanForOpt(msg: Buffer, questionEnd: number): number {
  optAt = -1;
  const an = (msg[6]! << 8) | msg[7]!;
  const ns = (msg[8]! << 8) | msg[9]!;
  const ar = (msg[10]! << 8) | msg[11]!;
  if (an + ns + ar === 0) return 0;
  let off = skipRecords(msg, questionEnd, an + ns);
  if (off < 0) return SCAN_MALFORMED;
  const len = msg.length;
  // Every record takes at least 11 octets, so a bogus ARCOUNT runs out of message quickly.
  for (let i = 0; i < ar; i++) {
    const fixed = skipName(msg, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > len) return SCAN_MALFORMED;
    const end = fixed + RR_FIXED_LENGTH + ((msg[fixed + 8]! << 8) | msg[fixed + 9]!);
    if (end > len) return SCAN_MALFORMED;
    if (((msg[fixed]! << 8) | msg[fixed + 1]!) === TYPE.OPT) {
      if (optAt >= 0) return SCAN_TWO_OPT; // RFC 6891 §6.1.1
      // The owner MUST be the root (RFC 6891 §6.1.2); a pointer to a root label is not accepted either.
      if (fixed !== off + 1) return SCAN_OPT_OWNER;
      // Options are {CODE, LENGTH, DATA} and must tile the RDATA exactly (RFC 6891 §6.1.2).
      let o = fixed + RR_FIXED_LENGTH;
      while (o + 4 <= end) o += 4 + ((msg[o + 2]! << 8) | msg[o + 3]!);
      if (o !== end) return SCAN_OPT_OPTIONS;
      optAt = fixed;
    }
    off = end;
  }
  return 0;
}

/** The EDNS fields of the OPT record found by scanForOpt. */
function readEdns(msg: Buffer, fixed: number): EdnsInfo {
  return {
    udpSize: (msg[fixed + 2]! << 8) | msg[fixed + 3]!,
    version: msg[fixed + 5]!,
    dnssecOk: (msg[fixed + 6]! & 0x80) !== 0,
  };
}

/** A query with an opcode other than QUERY: NOTIMP, echoing the question and OPT when they are sound. */
function notImplemented(msg: Buffer, qdcount: number, opcode: number): QueryParseResult {
  let questionEnd = 0;
  let edns: EdnsInfo | null = null;
  if (qdcount === 1) {
    const nameEnd = walkQuestionName(msg, false);
    if (nameEnd > 0 && nameEnd + 4 <= msg.length) {
      questionEnd = nameEnd + 4;
      if (scanForOpt(msg, questionEnd) === 0 && optAt >= 0) edns = readEdns(msg, optAt);
    }
  }
  return {
    ok: false,
    failure: { action: 'reply', reason: `opcode ${opcode} not implemented`, rcode: RCODE.NOTIMP, questionEnd, edns },
  };
}

/** Reads a client's message: a standard query with one sound question, or why and how to refuse it. Never throws. */
export function parseQuery(msg: Buffer): QueryParseResult {
  const len = msg.length;
  if (len < HEADER_SIZE) return DROP_SHORT;
  const b2 = msg[2]!;
  const b3 = msg[3]!;
  // Answering a response would let two servers bounce messages at each other forever.
  if ((b2 & FLAG2_QR) !== 0) return DROP_RESPONSE;
  const qdcount = (msg[4]! << 8) | msg[5]!;
  const opcode = (b2 & FLAG2_OPCODE) >>> 3;
  if (opcode !== OPCODE_QUERY) return notImplemented(msg, qdcount, opcode);
  if (qdcount !== 1) return qdcount === 0 ? FORMERR_NO_QUESTION : FORMERR_QUESTIONS;

  const nameEnd = walkQuestionName(msg, true);
  if (nameEnd < 0) return NAME_FAILURES[-nameEnd - 1]!;
  const questionEnd = nameEnd + 4;
  if (questionEnd > len) return FORMERR_NO_TYPE;
  // Read the name out of the scratch buffer before anything else can overwrite it.
  const qname = nameLength === 0 ? '' : nameChars.toString('latin1', 0, nameLength);

  const scan = scanForOpt(msg, questionEnd);
  if (scan < 0) return SCAN_FAILURES[-scan - 1]!;
  const edns = optAt < 0 ? null : readEdns(msg, optAt);
  if (edns !== null && edns.version !== 0) {
    // RFC 6891 §6.1.3: BADVERS, with an OPT stating the version we do speak (0).
    return {
      ok: false,
      failure: {
        action: 'reply',
        reason: `EDNS version ${edns.version} not supported`,
        rcode: RCODE.BADVERS,
        questionEnd,
        edns,
      },
    };
  }
  return {
    ok: true,
    query: {
      id: (msg[0]! << 8) | msg[1]!,
      flags: (b2 << 8) | b3,
      recursionDesired: (b2 & FLAG2_RD) !== 0,
      checkingDisabled: (b3 & FLAG3_CD) !== 0,
      qname,
      qtype: (msg[nameEnd]! << 8) | msg[nameEnd + 1]!,
      qclass: (msg[nameEnd + 2]! << 8) | msg[nameEnd + 3]!,
      questionEnd,
      edns,
    } satisfies ParsedQuery,
  };
}
