/** Decides whether an upstream message answers the query we sent (RFC 5452 §9.1: ID, QR and question must match). */
import { FLAG2_OPCODE, FLAG2_QR } from '../dns/constants.js';
import { sameQuestion } from '../dns/same-question.js';

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
