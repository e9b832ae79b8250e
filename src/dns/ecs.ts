/**
 * Removing an EDNS option from a message: EDNS Client Subnet (RFC 7871) from client queries before forwarding, so the
 * client's network never leaves the agency, and COOKIE (RFC 7873) from answers shared between clients, whose
 * client cookie would not be theirs.
 */
import { OPTION_CODE } from './constants.js';
import { findOpt } from './record-walk.js';


/** `msg` without its ECS options; see withoutOption. */
export function withoutEcs(msg: Buffer, questionEnd: number): Buffer {
  return withoutOption(msg, questionEnd, OPTION_CODE.CLIENT_SUBNET);
}

/**
 * `msg` without the EDNS options of `code`: the same buffer when it carries none (the usual case, no copy), else a
 * copy with the options cut out of the OPT RDATA and RDLENGTH lowered. Returns `msg` unchanged when its records
 * cannot be walked.
 */
export function withoutOption(msg: Buffer, questionEnd: number, code: number): Buffer {
  const opt = findOpt(msg, questionEnd);
  return opt === null ? msg : stripOptions(msg, opt.fixed, opt.rdStart, opt.end, code);
}

/**
 * Like withoutOption, for a message whose one OPT record, owned by the root, is known to lie at [optStart, optEnd)
 * (see AnswerLayout): no walk to find it.
 */
export function withoutOptionAt(msg: Buffer, optStart: number, optEnd: number, code: number): Buffer {
  return stripOptions(msg, optStart + 1, optStart + 11, optEnd, code);
}

function stripOptions(msg: Buffer, fixed: number, rdStart: number, end: number, strip: number): Buffer {
  const keep: [number, number][] = [];
  let removed = 0;
  let o = rdStart;
  while (o + 4 <= end) {
    const code = (msg[o]! << 8) | msg[o + 1]!;
    const next = Math.min(end, o + 4 + ((msg[o + 2]! << 8) | msg[o + 3]!));
    if (code === strip) removed += next - o;
    else keep.push([o, next]);
    o = next;
  }
  if (removed === 0) return msg;
  const out = Buffer.allocUnsafe(msg.length - removed);
  let to = msg.copy(out, 0, 0, rdStart);
  for (const [a, b] of keep) to += msg.copy(out, to, a, b);
  msg.copy(out, to, end);
  out.writeUInt16BE(end - rdStart - removed, fixed + 8);
  return out;
}
