/** The answer to a query for a banned name, in one of the sinkhole modes (nxdomain, nodata, refused, null, ip). */

import { ipv4Bytes, ipv6Bytes } from './address-bytes.js';
import { CLASS_IN, EDE, HEADER_SIZE, RCODE, TYPE } from './constants.js';
import { edeTextBytes, optLength, writeOpt } from './opt.js';
import { writeReplyHeader } from './reply-header.js';
import { soaLength, wireTtl, writeSoa, zoneOwnerOffset } from './soa.js';
import type { ParsedQuery } from './types.js';

export type SinkholeMode = 'nxdomain' | 'nodata' | 'refused' | 'null' | 'ip';

export interface SinkholeAnswerOptions {
  /** nxdomain: NXDOMAIN + SOA; nodata: NOERROR, empty + SOA; refused: REFUSED; null: 0.0.0.0 / ::; ip: ipv4 / ipv6. */
  readonly mode: SinkholeMode;
  /** TTL of the address record and of the SOA, and the SOA MINIMUM (the negative-caching time). */
  readonly ttlSec: number;
  /** Address for A queries in mode 'ip'; null answers A queries with NODATA. */
  readonly ipv4: string | null;
  /** Address for AAAA queries in mode 'ip'; null answers AAAA queries with NODATA. */
  readonly ipv6: string | null;
  /** Our advertised UDP payload size, for the OPT record. */
  readonly udpSize: number;
  /** Extended DNS Error 15 (Blocked) with this text, sent to EDNS clients; null for an OPT without options. */
  readonly ede: { readonly text: string } | null;
  /**
   * The banned domain that matched (a suffix of the query name). The SOA is owned by it, as RFC 2308 wants
   * the zone apex; without it, or when it is not a suffix of the query name, the SOA is owned by the query name.
   */
  readonly zone?: string | null;
}

const ANSWER_OWNER = HEADER_SIZE; // compression pointer c00c: the query name in the question
const ADDRESS_RR_FIXED = 12; // pointer, TYPE, CLASS, TTL, RDLENGTH
const NULL_IPV4 = Buffer.alloc(4);
const NULL_IPV6 = Buffer.alloc(16);

// The addresses come from config and change only on reload: parse each once.
let lastIpv4Text: string | null = null;
let lastIpv4: Buffer | null = null;
let lastIpv6Text: string | null = null;
let lastIpv6: Buffer | null = null;

function configuredIpv4(text: string | null): Buffer | null {
  if (text === null) return null;
  if (text !== lastIpv4Text) {
    lastIpv4 = ipv4Bytes(text);
    lastIpv4Text = text;
  }
  return lastIpv4;
}

function configuredIpv6(text: string | null): Buffer | null {
  if (text === null) return null;
  if (text !== lastIpv6Text) {
    lastIpv6 = ipv6Bytes(text);
    lastIpv6Text = text;
  }
  return lastIpv6;
}

/** The address to answer with in mode null/ip, or null for NODATA (other types, other classes, no address set). */
function sinkholeAddress(q: ParsedQuery, opts: SinkholeAnswerOptions): Buffer | null {
  if (q.qclass !== CLASS_IN) return null;
  if (q.qtype === TYPE.A) return opts.mode === 'null' ? NULL_IPV4 : configuredIpv4(opts.ipv4);
  if (q.qtype === TYPE.AAAA) return opts.mode === 'null' ? NULL_IPV6 : configuredIpv6(opts.ipv6);
  return null;
}

/**
 * zoneOwnerOffset's answer, read off the parsed name where it can be: a query name without escapes spells its wire
 * form one for one (each dot stands where a length octet is, the wire adds the first length and the root label), so
 * a zone that ends the name on a label boundary starts at HEADER_SIZE plus its offset in the name. An escaped name
 * (or the root) is walked on the wire as before.
 */
function zoneOwner(msg: Buffer, q: ParsedQuery, zone: string): number {
  const qname = q.qname;
  const cut = qname.length - zone.length;
  if (zone.length > 0 && q.questionEnd - 4 - HEADER_SIZE === qname.length + 2 && cut >= 0 && (cut === 0 || qname.charCodeAt(cut - 1) === 0x2e) && qname.endsWith(zone)) {
    return HEADER_SIZE + cut;
  }
  return zoneOwnerOffset(msg, q.questionEnd, zone);
}

/** Builds the sinkhole answer for `q` (header and question echoed from `msg`) in one Buffer. */
export function sinkholeAnswer(msg: Buffer, q: ParsedQuery, opts: SinkholeAnswerOptions): Buffer {
  const questionEnd = q.questionEnd;
  let rcode: number = RCODE.NOERROR;
  let address: Buffer | null = null;
  let withSoa = true;
  switch (opts.mode) {
    case 'nxdomain':
      rcode = RCODE.NXDOMAIN;
      break;
    case 'refused':
      rcode = RCODE.REFUSED;
      withSoa = false;
      break;
    case 'null':
    case 'ip':
      address = sinkholeAddress(q, opts);
      withSoa = address === null;
      break;
    default: // 'nodata'
      break;
  }
  let soaOwner = ANSWER_OWNER;
  if (withSoa && opts.zone != null) {
    const at = zoneOwner(msg, q, opts.zone);
    if (at >= 0) soaOwner = at;
  }
  const edns = q.edns;
  const edeText = edns !== null && opts.ede !== null ? edeTextBytes(opts.ede.text) : null;

  const length =
    questionEnd +
    (address === null ? 0 : ADDRESS_RR_FIXED + address.length) +
    (withSoa ? soaLength(soaOwner) : 0) +
    (edns === null ? 0 : optLength(edeText));
  const out = Buffer.allocUnsafe(length);
  writeReplyHeader(out, msg, rcode, 1, address === null ? 0 : 1, withSoa ? 1 : 0, edns === null ? 0 : 1);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  let off = questionEnd;
  if (address !== null) {
    out[off] = 0xc0;
    out[off + 1] = ANSWER_OWNER;
    out[off + 2] = 0;
    out[off + 3] = q.qtype; // A or AAAA, both < 256
    out[off + 4] = 0;
    out[off + 5] = CLASS_IN;
    out.writeUInt32BE(wireTtl(opts.ttlSec), off + 6);
    out[off + 10] = 0;
    out[off + 11] = address.length;
    address.copy(out, off + ADDRESS_RR_FIXED);
    off += ADDRESS_RR_FIXED + address.length;
  }
  if (withSoa) off = writeSoa(out, off, soaOwner, opts.ttlSec);
  if (edns !== null) writeOpt(out, off, opts.udpSize, rcode, edns.dnssecOk, EDE.BLOCKED, edeText);
  return out;
}
