/** Adding an Extended DNS Error (RFC 8914) to the OPT record of an answer hradba relays, e.g. "Stale Answer" for serve-stale. */
import { OPTION_CODE } from './constants.js';
import { edeTextBytes } from './opt.js';
import { findOpt } from './record-walk.js';

/**
 * A copy of `msg` (question ending at `questionEnd`) with an EDE option appended to its OPT record's RDATA, or `msg`
 * itself when it has no OPT (a client without EDNS gets no EDE) or cannot be walked.
 */
export function appendEde(msg: Buffer, questionEnd: number, code: number, text: string): Buffer {
  const opt = findOpt(msg, questionEnd);
  if (opt === null) return msg;
  const { fixed, end } = opt;
  const rdlength = end - opt.rdStart;
  const bytes = edeTextBytes(text);
  const option = Buffer.allocUnsafe(6 + bytes.length);
  option.writeUInt16BE(OPTION_CODE.EDE, 0);
  option.writeUInt16BE(2 + bytes.length, 2);
  option.writeUInt16BE(code, 4);
  bytes.copy(option, 6);
  if (rdlength + option.length > 0xffff) return msg;
  const out = Buffer.concat([msg.subarray(0, end), option, msg.subarray(end)]);
  out.writeUInt16BE(rdlength + option.length, fixed + 8);
  return out;
}
