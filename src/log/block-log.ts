/** The block log: one info line per sinkholed lookup, naming the client, the name asked, and the list, vendor and legal basis that banned it. */

import type { Logger } from 'pino';
import { typeName } from '../dns/constants.js';
import type { BypassRule } from '../policy/anti-bypass.js';
import type { ExceptionRule } from '../policy/client-groups.js';
import type { ListInfo, PolicyEntry } from '../policy/types.js';
import { EVENT, SINKHOLE_MSG, WOULD_SINKHOLE_MSG, type LoggedBasis, type SinkholeFields } from './fields.js';

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
  /** The client's configured name, if any. */
  readonly clientName?: string | null;
  /** The client's group. */
  readonly group?: string;
  /** The chain member that matched, when the match came from inspecting the upstream answer. */
  readonly via?: string;
  /** The answer address inside a banned prefix (then `entry.domain` is the prefix). */
  readonly answerIp?: string;
  /** true: a log-only list matched; the lookup was answered normally ("would sinkhole"). */
  readonly logOnly?: boolean;
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
    event: ev.logOnly === true ? EVENT.wouldSinkhole : EVENT.sinkhole,
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
    ...(ev.clientName == null ? {} : { clientName: ev.clientName }),
    ...(ev.group === undefined ? {} : { group: ev.group }),
    ...(ev.via === undefined ? {} : { via: ev.via }),
    ...(ev.answerIp === undefined ? {} : { answerIp: ev.answerIp }),
  };
  log.info(line, ev.logOnly === true ? WOULD_SINKHOLE_MSG : SINKHOLE_MSG);
}

/** Who asked and what, common to the bypass and exception lines. */
export interface LookupContext {
  readonly client: string;
  readonly clientName: string | null;
  readonly group: string;
  readonly qname: string;
  readonly qtype: number;
  readonly policyVersion: number;
}

function lookupFields(c: LookupContext): Record<string, unknown> {
  return {
    client: c.client,
    ...(c.clientName === null ? {} : { clientName: c.clientName }),
    group: c.group,
    qname: c.qname,
    qtype: typeName(c.qtype),
    policyVersion: c.policyVersion,
  };
}

/** logBypass writes one bypass-attempt line (`"event":"bypass"`): a client asked an anti-bypass signal name. */
export function logBypass(log: Logger, c: LookupContext, rule: BypassRule): void {
  if (!log.isLevelEnabled('info')) return;
  log.info({ event: EVENT.bypass, ...lookupFields(c), signal: rule.key, match: rule.domain, answer: rule.answer }, 'bypass attempt');
}

/** logException writes one line (`"event":"exception"`) for a lookup a group's exception let through, naming what it overrode. */
export function logException(log: Logger, c: LookupContext, rule: ExceptionRule, overridden: { entry?: PolicyEntry; signal?: string; logOnly?: boolean }): void {
  if (!log.isLevelEnabled('info')) return;
  const e = overridden.entry;
  log.info(
    {
      event: EVENT.exception,
      ...lookupFields(c),
      exception: rule.domain,
      reason: rule.reason,
      expires: rule.expires,
      ...(e === undefined ? {} : { overrides: { match: e.domain, list: e.list.id, vendor: e.list.vendor, logOnly: overridden.logOnly === true } }),
      ...(overridden.signal === undefined ? {} : { overrides: { signal: overridden.signal } }),
    },
    'allowed by exception',
  );
}

/** logExceptionExpired warns that an exception is past its expiry, so the ban applies again to its group. */
export function logExceptionExpired(log: Logger, rule: ExceptionRule, policyVersion: number): void {
  log.warn(
    { event: EVENT.exceptionExpired, group: rule.group, exception: rule.domain, reason: rule.reason, expires: rule.expires, policyVersion },
    `exception for ${rule.domain} (group ${rule.group}) expired at ${rule.expires ?? '?'}; the ban applies again`,
  );
}
