/** Names answered locally and never sent upstream: localhost, RFC 6303 private reverse zones, invalid, onion, test. */

import { CLASS_IN, HEADER_SIZE, RCODE, TYPE } from './constants.js';
import { optLength, writeOpt } from './opt.js';
import { writeReplyHeader } from './reply-header.js';
import { soaLength, wireTtl, writeSoa, zoneOwnerOffset } from './soa.js';
import type { ParsedQuery } from './types.js';

/** TTL of local records and of the local zones' SOA (also their negative-caching time). */
export const LOCAL_TTL_SEC = 3600;

const IP6_LOOPBACK_REVERSE = `1.${'0.'.repeat(31)}ip6.arpa`;
const IP6_UNSPECIFIED_REVERSE = `${'0.'.repeat(32)}ip6.arpa`;

// RFC 6303 zones whose queries leak private-network information or are pointless upstream (§4.1-4.5),
// with 127.in-addr.arpa and the ::1 name holding the PTR records of localhost. None is nested in another.
// The documentation prefixes of RFC 6303 (TEST-NET, 2001:db8::/32) are left to upstream on purpose.
const REVERSE_ZONES: ReadonlySet<string> = new Set([
  '10.in-addr.arpa',
  ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa`),
  '168.192.in-addr.arpa',
  '0.in-addr.arpa',
  '127.in-addr.arpa',
  '254.169.in-addr.arpa',
  '255.255.255.255.in-addr.arpa',
  IP6_UNSPECIFIED_REVERSE,
  IP6_LOOPBACK_REVERSE,
  'd.f.ip6.arpa',
  '8.e.f.ip6.arpa',
  '9.e.f.ip6.arpa',
  'a.e.f.ip6.arpa',
  'b.e.f.ip6.arpa',
]);

// Names with a PTR record to 'localhost'. Every other name in a reverse zone is empty or absent.
const LOCALHOST_PTR_NAMES: readonly string[] = ['1.0.0.127.in-addr.arpa', IP6_LOOPBACK_REVERSE];

// Special-use top-level names (RFC 6761, RFC 7686). 'localhost' has data; 'invalid', 'onion' and 'test' are empty.
// 'test' goes upstream when the operator says so (`forward.testNames`): RFC 6761 §6.2 asks resolvers for that
// switch, for networks that serve test zones on their own servers.
const LOCALHOST = 'localhost';
const EMPTY_TLDS: readonly string[] = ['invalid', 'onion'];
const TEST = 'test';

/** True when the '.' at `dot` in a query name separates labels (it is not escaped by an odd run of '\'). */
function isLabelDot(qname: string, dot: number): boolean {
  let slashes = 0;
  for (let i = dot - 1; i >= 0 && qname.charCodeAt(i) === 0x5c; i--) slashes++;
  return (slashes & 1) === 0;
}

/** True when `qname` is `name` or a name below it. */
function isAtOrBelow(qname: string, name: string): boolean {
  if (!qname.endsWith(name)) return false;
  const dot = qname.length - name.length - 1;
  return dot === -1 || (qname.charCodeAt(dot) === 0x2e && isLabelDot(qname, dot));
}

/**
 * The local zone `qname` belongs to ('localhost', 'invalid', 'test', '10.in-addr.arpa', ...), or null when it goes
 * upstream; `forwardTest` sends names under `test.` upstream.
 */
export function isLocalZone(qname: string, forwardTest = false): string | null {
  // Most names end in something else entirely: five suffix checks settle them.
  if (isAtOrBelow(qname, LOCALHOST)) return LOCALHOST;
  for (const tld of EMPTY_TLDS) if (isAtOrBelow(qname, tld)) return tld;
  if (!forwardTest && isAtOrBelow(qname, TEST)) return TEST;
  if (!isAtOrBelow(qname, 'arpa')) return null;
  // Reverse names: try each suffix from the right; at most ~34 labels in ip6.arpa.
  if (REVERSE_ZONES.has(qname)) return qname;
  for (let dot = qname.lastIndexOf('.'); dot > 0; dot = qname.lastIndexOf('.', dot - 1)) {
    if (!isLabelDot(qname, dot)) continue;
    const suffix = qname.slice(dot + 1);
    if (REVERSE_ZONES.has(suffix)) return suffix;
  }
  return null;
}

const LOCALHOST_IPV4 = Buffer.from([127, 0, 0, 1]);
const LOCALHOST_IPV6 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const LOCALHOST_NAME = Buffer.from('\x09localhost\x00', 'latin1');

/** The record data for (zone, qname, qtype), 'nodata' for an existing name without it, or 'nxdomain'. */
function lookup(zone: string, qname: string, qtype: number): Buffer | 'nodata' | 'nxdomain' {
  if (zone === LOCALHOST) {
    // RFC 6761 §6.3: every name under localhost is the loopback host.
    if (qtype === TYPE.A) return LOCALHOST_IPV4;
    if (qtype === TYPE.AAAA) return LOCALHOST_IPV6;
    return 'nodata';
  }
  for (const ptrName of LOCALHOST_PTR_NAMES) {
    if (qname === ptrName) return qtype === TYPE.PTR ? LOCALHOST_NAME : 'nodata';
    // A name between the apex and a PTR name (0.127.in-addr.arpa) exists without data (RFC 8020).
    if (qname.length > zone.length && isAtOrBelow(ptrName, qname)) return 'nodata';
  }
  return qname === zone ? 'nodata' : 'nxdomain';
}

/** The answer for a name in a local zone (records, NODATA or NXDOMAIN with the zone's SOA), or null for any other name. */
export function localAnswer(msg: Buffer, q: ParsedQuery, udpSize: number, forwardTest = false): Buffer | null {
  const zone = isLocalZone(q.qname, forwardTest);
  if (zone === null) return null;
  const isIn = q.qclass === CLASS_IN;
  const found = lookup(zone, q.qname, q.qtype);
  const record = isIn && typeof found !== 'string' ? found : null;
  // The apex SOA is real data of the zone: an SOA query there gets it as the answer.
  const soaAnswer = isIn && q.qtype === TYPE.SOA && q.qname === zone;
  const rcode = found === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR;
  const zoneAt = zoneOwnerOffset(msg, q.questionEnd, zone);
  const soaOwner = zoneAt >= 0 ? zoneAt : HEADER_SIZE;
  const withSoa = record === null; // in ANSWER for soaAnswer, else in AUTHORITY as the negative proof

  const edns = q.edns;
  const out = Buffer.allocUnsafe(
    q.questionEnd +
      (record === null ? 0 : 12 + record.length) +
      (withSoa ? soaLength(soaOwner) : 0) +
      (edns === null ? 0 : optLength(null)),
  );
  const answers = record !== null || soaAnswer ? 1 : 0;
  const authority = withSoa && !soaAnswer ? 1 : 0;
  writeReplyHeader(out, msg, rcode, 1, answers, authority, edns === null ? 0 : 1);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  let off = q.questionEnd;
  if (record !== null) {
    out[off] = 0xc0;
    out[off + 1] = HEADER_SIZE;
    out.writeUInt16BE(q.qtype, off + 2);
    out.writeUInt16BE(CLASS_IN, off + 4);
    out.writeUInt32BE(wireTtl(LOCAL_TTL_SEC), off + 6);
    out.writeUInt16BE(record.length, off + 10);
    record.copy(out, off + 12);
    off += 12 + record.length;
  }
  if (withSoa) off = writeSoa(out, off, soaOwner, LOCAL_TTL_SEC);
  if (edns !== null) writeOpt(out, off, udpSize, rcode, edns.dnssecOk, 0, null);
  return out;
}
