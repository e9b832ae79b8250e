/** The block log: one info line per sinkholed lookup, naming the client, the name asked, and the list, vendor and legal basis that banned it. */

import type { Logger } from 'pino';
import { typeName } from '../dns/constants.js';
import type { ListInfo, PolicyEntry } from '../policy/types.js';
import { EVENT, SINKHOLE_MSG, type LoggedBasis, type SinkholeFields } from './fields.js';

/** What the server knows about one sinkholed lookup. */
export interface SinkholeEvent {
  /** Client address as seen on the socket. */
  readonly client: string;
  readonly clientPort: number;
  readonly transport: 'udp' | 'tcp';
  /** Query name, lower-case, without the trailing dot. */
  readonly qname: string;
  readonly qtype: number;
  /** Sinkhole mode used for the answer (nxdomain, nodata, refused, null, ip). */
  readonly mode: string;
  /** The policy entry that matched. */
  readonly entry: PolicyEntry;
  /** Version of the policy that answered, to tie the line to a reload. */
  readonly policyVersion: number;
}

// The basis object written for a list, built once per ListInfo: a list's basis never changes
// (a reload builds new ListInfo objects), and reusing it keeps the per-line cost to one object.
// WeakMap, so lists dropped by a reload are not kept alive.
const basisCache = new WeakMap<ListInfo, LoggedBasis | null>();

function loggedBasis(list: ListInfo): LoggedBasis | null {
  let b = basisCache.get(list);
  if (b === undefined) {
    const first = list.basis[0];
    b = first === undefined ? null : Object.freeze({ authority: first.authority, date: first.date });
    basisCache.set(list, b);
  }
  return b;
}

/** logSinkhole writes the block-log line for one sinkholed lookup (`"event":"sinkhole"`, msg "sinkholed"). */
export function logSinkhole(log: Logger, ev: SinkholeEvent): void {
  // Skip building the object when info is off (level warn or above).
  if (!log.isLevelEnabled('info')) return;
  const list = ev.entry.list;
  const line: SinkholeFields = {
    event: EVENT.sinkhole,
    client: ev.client,
    clientPort: ev.clientPort,
    transport: ev.transport,
    qname: ev.qname,
    qtype: typeName(ev.qtype),
    mode: ev.mode,
    match: ev.entry.domain,
    matchExact: ev.entry.exact,
    list: list.id,
    vendor: list.vendor,
    basis: loggedBasis(list),
    policyVersion: ev.policyVersion,
  };
  log.info(line, SINKHOLE_MSG);
}
