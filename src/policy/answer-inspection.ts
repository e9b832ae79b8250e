/**
 * Deep CNAME/DNAME inspection: an allowed name can still lead to a banned one through an alias chain
 * (a harmless-looking name CNAME'd to a banned vendor's host). The upstream answer's ANSWER section is walked
 * once on the raw bytes; every owner name and CNAME/DNAME target other than the question is judged like a
 * query name, and the first that the client's group blocks sinkholes the whole answer.
 */
import { TYPE } from '../dns/constants.js';
import { MAX_NAME_WIRE, RR_FIXED_LENGTH, skipName } from '../dns/record-walk.js';

/** Compression pointers followed per name at most; real names need a handful, a loop needs more. */
const MAX_POINTERS = 32;

/**
 * readName decodes the name at `off` (following compression pointers) into lower-case dotted text without the
 * trailing dot ('' for the root); null when it is malformed, loops, or holds a byte that cannot be in a
 * host name as text (such names are judged by nothing, and cannot match a list entry either).
 */
export function readName(msg: Buffer, off: number): string | null {
  let name = '';
  let wire = 1;
  let jumps = 0;
  for (;;) {
    if (off >= msg.length) return null;
    const l = msg[off]!;
    if (l === 0) return name;
    const kind = l & 0xc0;
    if (kind === 0xc0) {
      if (off + 1 >= msg.length || ++jumps > MAX_POINTERS) return null;
      off = ((l & 0x3f) << 8) | msg[off + 1]!;
      continue;
    }
    if (kind !== 0) return null;
    wire += l + 1;
    if (wire > MAX_NAME_WIRE || off + 1 + l > msg.length) return null;
    let label = '';
    for (let i = off + 1; i <= off + l; i++) {
      let c = msg[i]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      // A dot inside a label would forge a different name; bytes outside printable ASCII likewise.
      if (c === 0x2e || c <= 0x20 || c >= 0x7f) return null;
      label += String.fromCharCode(c);
    }
    name = name.length === 0 ? label : `${name}.${label}`;
    off += l + 1;
  }
}

/** An A or AAAA record's address in an answer: where its 4 or 16 bytes are. */
export interface AnswerAddress {
  readonly offset: number;
  readonly v4: boolean;
}

/** The names in an answer's ANSWER section other than the question's: owners and CNAME/DNAME targets, in order. */
export function chainNames(answer: Buffer, questionEnd: number, qname: string): string[] {
  return walkAnswer(answer, questionEnd, qname, null);
}

/**
 * walkAnswer reads the ANSWER section once: it returns the chain names (as chainNames) and, when `addresses`
 * is given, appends the A/AAAA addresses to it.
 */
export function walkAnswer(answer: Buffer, questionEnd: number, qname: string, addresses: AnswerAddress[] | null): string[] {
  if (answer.length < 12) return [];
  const an = (answer[6]! << 8) | answer[7]!;
  const out: string[] = [];
  const push = (name: string | null): void => {
    if (name !== null && name.length > 0 && name !== qname && !out.includes(name)) out.push(name);
  };
  let off = questionEnd;
  // Bounded by ANCOUNT and by the message: every record moves `off` forward or ends the walk.
  for (let i = 0; i < an; i++) {
    const fixed = skipName(answer, off);
    if (fixed < 0 || fixed + RR_FIXED_LENGTH > answer.length) break;
    const type = (answer[fixed]! << 8) | answer[fixed + 1]!;
    const rdlen = (answer[fixed + 8]! << 8) | answer[fixed + 9]!;
    const rdata = fixed + RR_FIXED_LENGTH;
    if (rdata + rdlen > answer.length) break;
    push(readName(answer, off));
    if (type === TYPE.CNAME || type === TYPE.DNAME) push(readName(answer, rdata));
    else if (addresses !== null && ((type === TYPE.A && rdlen === 4) || (type === TYPE.AAAA && rdlen === 16))) {
      addresses.push({ offset: rdata, v4: rdlen === 4 });
    }
    off = rdata + rdlen;
  }
  return out;
}
