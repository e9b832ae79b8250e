/**
 * What a client received for a sinkholed query, read from its log line: the `received` field ('NXDOMAIN',
 * 'NODATA', 'REFUSED', or the address answered: '0.0.0.0', '::', a block page address), or, on lines written
 * before the field existed, the answer the line's `mode` gives. A REFUSED answer is a referral, not a block:
 * glibc, curl and musl then ask the client's next nameserver, which may resolve the banned name.
 */

/** The answer of a REFUSED sinkhole: the one that sends stubs to their next nameserver. */
export const REFUSED = 'REFUSED';

/** answerReceived gives what the client of one sinkhole line received; 'unknown' when the line says neither. */
export function answerReceived(line: Record<string, unknown>): string {
  const received = line['received'];
  if (typeof received === 'string' && received !== '') return received;
  const qtype = line['qtype'];
  switch (line['mode']) {
    case 'nxdomain':
      return 'NXDOMAIN';
    case 'nodata':
      return 'NODATA';
    case 'refused':
      return REFUSED;
    case 'null':
      return qtype === 'A' ? '0.0.0.0' : qtype === 'AAAA' ? '::' : 'NODATA';
    case 'ip':
      // The block page address is not in older lines; other types got NODATA.
      return qtype === 'A' || qtype === 'AAAA' ? 'ip (block page)' : 'NODATA';
    default:
      return 'unknown';
  }
}

/** isReferral says whether an answer sent the client on to another server rather than blocking it. */
export function isReferral(received: string): boolean {
  return received === REFUSED;
}
