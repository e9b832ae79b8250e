/** Error answers: FORMERR/NOTIMP/BADVERS for queries that failed to parse, and REFUSED/SERVFAIL/NOTIMP for parsed ones. */

import { HEADER_SIZE } from './constants.js';
import { edeTextBytes, optLength, writeOpt, type EdeOption } from './opt.js';
import { writeReplyHeader } from './reply-header.js';
import type { ParsedQuery, QueryFailure } from './types.js';

/**
 * The answer to a query that parseQuery refused with action 'reply': header, the question when it was sound,
 * and an OPT when the query had one or when the RCODE needs the OPT's upper bits (BADVERS).
 */
export function errorReply(msg: Buffer, failure: QueryFailure & { action: 'reply' }, udpSize: number): Buffer {
  const questionEnd =
    failure.questionEnd > HEADER_SIZE && failure.questionEnd <= msg.length ? failure.questionEnd : HEADER_SIZE;
  const edns = failure.edns;
  const withOpt = edns !== null || failure.rcode > 0xf;
  const out = Buffer.allocUnsafe(questionEnd + (withOpt ? optLength(null) : 0));
  writeReplyHeader(out, msg, failure.rcode, questionEnd > HEADER_SIZE ? 1 : 0, 0, 0, withOpt ? 1 : 0);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  if (withOpt) writeOpt(out, questionEnd, udpSize, failure.rcode, edns?.dnssecOk ?? false, 0, null);
  return out;
}

/** Options of rcodeReply: our advertised UDP size and an optional Extended DNS Error (sent only to EDNS clients). */
export interface RcodeReplyOptions {
  readonly udpSize: number;
  readonly ede?: EdeOption;
}

/** An answer with no records and the given RCODE (REFUSED, SERVFAIL, NOTIMP...) to a parsed query, question echoed. */
export function rcodeReply(msg: Buffer, q: ParsedQuery, rcode: number, opts: RcodeReplyOptions): Buffer {
  const questionEnd = q.questionEnd;
  // An EDE rides in the OPT, and a client that sent no OPT must not get one (RFC 6891 §7), unless the
  // RCODE itself cannot be expressed without it.
  const withOpt = q.edns !== null || rcode > 0xf;
  const edeText = q.edns !== null && opts.ede !== undefined ? edeTextBytes(opts.ede.text) : null;
  const out = Buffer.allocUnsafe(questionEnd + (withOpt ? optLength(edeText) : 0));
  writeReplyHeader(out, msg, rcode, 1, 0, 0, withOpt ? 1 : 0);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  if (withOpt) writeOpt(out, questionEnd, opts.udpSize, rcode, q.edns?.dnssecOk ?? false, opts.ede?.code ?? 0, edeText);
  return out;
}
