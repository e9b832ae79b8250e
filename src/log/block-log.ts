/**
 * The evidence lines: one info line per sinkholed lookup (and per would-sinkhole, bypass and exception), naming the
 * client, the name asked, what the client received, and the list, vendor and legal basis that banned it. Every line
 * carries the same client fields, written by one function (clientFields). Lines go straight into the log sink, built
 * from fragments serialised once (see evidence-line.ts); a logger of another kind gets the same fields through pino.
 */

import type { Logger } from 'pino';
import { typeName } from '../dns/constants.js';
import type { BypassRule } from '../policy/anti-bypass.js';
import type { ExceptionRule } from '../policy/client-groups.js';
import type { ListInfo, PolicyEntry } from '../policy/types.js';
import { evidenceTarget, infoEnabled, infoHead, json } from './evidence-line.js';
import { EVENT, SINKHOLE_MSG, WOULD_SINKHOLE_MSG, type LoggedBasis, type SinkholeFields } from './fields.js';

/** Who asked: the client fields of every evidence line, in this order. */
export interface ClientFields {
  /** Client address as seen on the socket. */
  readonly client: string;
  readonly clientPort: number;
  readonly transport: 'udp' | 'tcp';
  /** The client's configured name, if any. */
  readonly clientName?: string | null;
  /** The client's group. */
  readonly group?: string;
}

/** What the server knows about one sinkholed lookup. */
export interface SinkholeEvent extends ClientFields {
  /** Query name, lower-case, without the trailing dot. */
  readonly qname: string;
  readonly qtype: number;
  /** Sinkhole mode used for the answer (nxdomain, nodata, refused, null, ip). */
  readonly mode: string;
  /** What the client got: 'NXDOMAIN', 'NODATA', 'REFUSED' or the address answered (see receivedOf). */
  readonly received?: string;
  /** The policy entry that matched. */
  readonly entry: PolicyEntry;
  /** Version of the policy that answered, to tie the line to a reload. */
  readonly policyVersion: number;
  /** The chain member that matched, when the match came from inspecting the upstream answer. */
  readonly via?: string;
  /** The answer address inside a banned prefix (then `entry.domain` is the prefix). */
  readonly answerIp?: string;
  /** true: a log-only list matched; the lookup was answered normally ("would sinkhole"). */
  readonly logOnly?: boolean;
}

/**
 * receivedOf says what a client got from a sinkhole answer in `mode` (the rules of dns/sinkhole-answer.ts): the
 * rcode, NODATA, or the address of the A/AAAA record. `refused` sends stubs on to their next server, so a line that
 * says REFUSED records a referral rather than a block.
 */
export function receivedOf(mode: string, qtype: number, qclassIn: boolean, ipv4: string | null, ipv6: string | null): string {
  switch (mode) {
    case 'nxdomain':
      return 'NXDOMAIN';
    case 'refused':
      return 'REFUSED';
    case 'null':
    case 'ip':
      if (!qclassIn) return 'NODATA';
      if (qtype === 1) return mode === 'null' ? '0.0.0.0' : (ipv4 ?? 'NODATA');
      if (qtype === 28) return mode === 'null' ? '::' : (ipv6 ?? 'NODATA');
      return 'NODATA';
    default:
      return 'NODATA';
  }
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

// The parts of a sinkhole line that depend only on the list (list, vendor, basis), serialised once per ListInfo (a
// reload brings new ones, hence weak). Not per entry: the policy makes entry objects on demand, so a stream of
// distinct names would make every line a cache miss.
const listFragments = new WeakMap<ListInfo, string>();

function listFragment(list: ListInfo): string {
  let f = listFragments.get(list);
  if (f === undefined) {
    f = `,"list":${json(list.id)},"vendor":${json(list.vendor)},"basis":${JSON.stringify(loggedBasis(list))}`;
    listFragments.set(list, f);
  }
  return f;
}

// clientName and group come from the config: serialised once per pair.
const whoFragments = new Map<string | null, Map<string | undefined, string>>();

function whoFragment(clientName: string | null | undefined, group: string | undefined): string {
  const name = clientName ?? null;
  let byGroup = whoFragments.get(name);
  if (byGroup === undefined) {
    byGroup = new Map();
    whoFragments.set(name, byGroup);
  }
  let f = byGroup.get(group);
  if (f === undefined) {
    f = `${name === null ? '' : `,"clientName":${json(name)}`}${group === undefined ? '' : `,"group":${json(group)}`}`;
    // Bounded by the configured clients and groups; a config that changes keeps adding, so start over past a bound.
    if (byGroup.size > 4096) byGroup.clear();
    byGroup.set(group, f);
  }
  return f;
}

/** clientJson writes the client fields of every evidence line: `"client":..,"clientPort":..,"transport":..[,"clientName":..][,"group":..]`. */
function clientJson(c: ClientFields): string {
  return `"client":${json(c.client)},"clientPort":${c.clientPort},"transport":"${c.transport}"${whoFragment(c.clientName, c.group)}`;
}

/** clientFields is the same as an object, for lines that go through pino. */
function clientFields(c: ClientFields): Record<string, unknown> {
  return {
    client: c.client,
    clientPort: c.clientPort,
    transport: c.transport,
    ...(c.clientName == null ? {} : { clientName: c.clientName }),
    ...(c.group === undefined ? {} : { group: c.group }),
  };
}

/** logSinkhole writes the block-log line for one sinkholed lookup (`"event":"sinkhole"`, msg "sinkholed"). */
export function logSinkhole(log: Logger, ev: SinkholeEvent): void {
  // Skip building the line when info is off (level warn or above).
  if (!infoEnabled(log)) return;
  const logOnly = ev.logOnly === true;
  const target = evidenceTarget(log);
  if (target !== null) {
    target.sink.write(
      `${infoHead()}${target.bindings},"event":"${logOnly ? EVENT.wouldSinkhole : EVENT.sinkhole}",${clientJson(ev)},"qname":${json(ev.qname)},"qtype":"${typeName(ev.qtype)}","mode":"${ev.mode}"${ev.received === undefined ? '' : `,"received":${json(ev.received)}`},"match":${json(ev.entry.domain)},"matchExact":${ev.entry.exact}${listFragment(ev.entry.list)},"policyVersion":${ev.policyVersion}${ev.via === undefined ? '' : `,"via":${json(ev.via)}`}${ev.answerIp === undefined ? '' : `,"answerIp":"${ev.answerIp}"`},"msg":"${logOnly ? WOULD_SINKHOLE_MSG : SINKHOLE_MSG}"}\n`,
      true,
    );
    return;
  }
  const list = ev.entry.list;
  const line: SinkholeFields = {
    event: logOnly ? EVENT.wouldSinkhole : EVENT.sinkhole,
    client: ev.client,
    clientPort: ev.clientPort,
    transport: ev.transport,
    ...(ev.clientName == null ? {} : { clientName: ev.clientName }),
    ...(ev.group === undefined ? {} : { group: ev.group }),
    qname: ev.qname,
    qtype: typeName(ev.qtype),
    mode: ev.mode,
    ...(ev.received === undefined ? {} : { received: ev.received }),
    match: ev.entry.domain,
    matchExact: ev.entry.exact,
    list: list.id,
    vendor: list.vendor,
    basis: loggedBasis(list),
    policyVersion: ev.policyVersion,
    ...(ev.via === undefined ? {} : { via: ev.via }),
    ...(ev.answerIp === undefined ? {} : { answerIp: ev.answerIp }),
  };
  log.info(line, logOnly ? WOULD_SINKHOLE_MSG : SINKHOLE_MSG);
}

/** Who asked and what, common to the bypass and exception lines. */
export interface LookupContext extends ClientFields {
  readonly clientName: string | null;
  readonly group: string;
  readonly qname: string;
  readonly qtype: number;
  readonly policyVersion: number;
}

function lookupFields(c: LookupContext): Record<string, unknown> {
  return {
    ...clientFields(c),
    qname: c.qname,
    qtype: typeName(c.qtype),
    policyVersion: c.policyVersion,
  };
}

/** logBypass writes one bypass-attempt line (`"event":"bypass"`): a client asked an anti-bypass signal name; `received` is its answer. */
export function logBypass(log: Logger, c: LookupContext, rule: BypassRule): void {
  if (!infoEnabled(log)) return;
  log.info({ event: EVENT.bypass, ...lookupFields(c), received: receivedOf(rule.answer, c.qtype, true, null, null), signal: rule.key, match: rule.domain, answer: rule.answer }, 'bypass attempt');
}

/** logException writes one line (`"event":"exception"`) for a lookup a group's exception let through, naming what it overrode. */
export function logException(log: Logger, c: LookupContext, rule: ExceptionRule, overridden: { entry?: PolicyEntry; signal?: string; logOnly?: boolean }): void {
  if (!infoEnabled(log)) return;
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
