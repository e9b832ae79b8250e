/**
 * The policy stage of the query path: turns a verdict for the client's group into an answer (sinkhole,
 * anti-bypass answer) or lets the query go on (allowed, exception, log-only), writing the matching log line.
 * Also judges the names of an upstream answer's CNAME/DNAME chain (deep inspection).
 */
import type { Logger } from 'pino';
import { CLASS_IN } from '../dns/constants.js';
import { sinkholeAnswer } from '../dns/sinkhole-answer.js';
import { fitUdp } from '../dns/truncate.js';
import type { ParsedQuery } from '../dns/types.js';
import { logBypass, logException, logExceptionExpired, logSinkhole, receivedOf, type LookupContext } from '../log/block-log.js';
import { infoEnabled } from '../log/evidence-line.js';
import type { Remote } from '../net/types.js';
import { walkAnswer, type AnswerAddress } from '../policy/answer-inspection.js';
import { activeException, type ClientIdentity, type ExceptionRule } from '../policy/client-groups.js';
import type { PolicyEntry } from '../policy/types.js';
import type { Verdict } from '../policy/verdict.js';
import { decideName, type NameDecision } from '../decision/query-decision.js';
import type { Snapshot } from './snapshot.js';

/** What the stage reports back to the handler. */
export type StageResult =
  | { readonly done: true; readonly answer: Buffer; readonly outcome: 'sinkholed' | 'bypass'; readonly entry?: PolicyEntry }
  /** Go on answering normally; `logOnly` turns a successful forward into the 'would-sinkhole' outcome. */
  | { readonly done: false; readonly logOnly: boolean };

const GO_ON: StageResult = Object.freeze({ done: false, logOnly: false });
const GO_ON_LOG_ONLY: StageResult = Object.freeze({ done: false, logOnly: true });

/** Where inspection found the match: a chain member, or an answer address inside a banned prefix. */
interface Found {
  readonly via?: string;
  readonly answerIp?: string;
}

/** formatAddress writes 4 or 16 address bytes as text (IPv6 without zero compression: plain to read, rare in logs). */
function formatAddress(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** Chain members of an answer are judged as names: the question's type (the DS rule) is not theirs. */
const TYPE_ANY_NAME = 0;

/** Each expired exception is logged once per rule object (a reload makes new ones, and says so again). */
const expiredLogged = new WeakSet<ExceptionRule>();

/** overriddenOf describes what an exception let through, for its log line. */
function overriddenOf(o: Extract<Verdict, { kind: 'exception' }>['overridden']): { entry?: PolicyEntry; signal?: string; logOnly?: boolean } {
  return o.kind === 'bypass' ? { signal: o.rule.key } : { entry: o.entry, logOnly: o.kind === 'log-only' };
}

/** PolicyStage judges query names and answers for one handler (one logger). */
export interface PolicyStage {
  /** judge decides on the question itself. */
  judge(snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity): StageResult;
  /** inspect judges the chain names of an upstream answer; a banned member gives the sinkhole answer for the question. */
  inspect(snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity, answer: Buffer): StageResult;
}

/** createPolicyStage binds the stage to the block log. */
export function createPolicyStage(log: Logger): PolicyStage {
  // The decision is made in one place (src/decision/), for the server and `hradba explain` alike.
  const verdictFor = (snap: Snapshot, who: ClientIdentity, name: string, qtype: number): NameDecision =>
    decideName(snap, who.group, name, qtype, snap.now(), (rule) => {
      if (expiredLogged.has(rule)) return;
      expiredLogged.add(rule);
      logExceptionExpired(log, rule, snap.version);
    });

  const context = (snap: Snapshot, q: ParsedQuery, remote: Remote, who: ClientIdentity): LookupContext => ({
    client: remote.address,
    clientPort: remote.port,
    transport: remote.transport,
    clientName: who.name,
    group: who.group.name,
    qname: q.qname,
    qtype: q.qtype,
    policyVersion: snap.version,
  });

  /**
   * The sinkhole log line of a (would-be) block: the same fields whether the answer is enforced or only logged; an
   * enforced block also says what the client received. One object of one shape per line.
   */
  const logBlock = (snap: Snapshot, q: ParsedQuery, remote: Remote, who: ClientIdentity, entry: PolicyEntry, found: Found, logOnly: boolean): void => {
    // With the block log off (level warn), not even the event object is built.
    if (!infoEnabled(log)) return;
    const sh = snap.config.sinkhole;
    logSinkhole(log, {
      client: remote.address,
      clientPort: remote.port,
      transport: remote.transport,
      clientName: who.name,
      group: who.group.name,
      qname: q.qname,
      qtype: q.qtype,
      mode: sh.mode,
      received: logOnly ? undefined : receivedOf(sh.mode, q.qtype, q.qclass === CLASS_IN, sh.ipv4, sh.ipv6),
      entry,
      policyVersion: snap.version,
      via: found.via,
      answerIp: found.answerIp,
      logOnly,
    });
  };

  const sinkhole = (snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity, entry: PolicyEntry, found: Found = {}): StageResult => {
    const { config } = snap;
    logBlock(snap, q, remote, who, entry, found, false);
    const blocked = sinkholeAnswer(msg, q, {
      mode: config.sinkhole.mode,
      ttlSec: config.sinkhole.ttlSec,
      ipv4: config.sinkhole.ipv4,
      ipv6: config.sinkhole.ipv6,
      udpSize: config.edns.udpSize,
      zone: entry.domain,
      ede: config.sinkhole.ede ? { text: snap.blockedText(entry.list) } : null,
    });
    const answer = remote.transport === 'udp' ? fitUdp(blocked, q, config.edns.udpSize) : blocked;
    return { done: true, answer, outcome: 'sinkholed', entry };
  };

  const logOnly = (snap: Snapshot, q: ParsedQuery, remote: Remote, who: ClientIdentity, entry: PolicyEntry, found: Found = {}): void =>
    logBlock(snap, q, remote, who, entry, found, true);

  const judge = (snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity): StageResult => {
    const v = verdictFor(snap, who, q.qname, q.qtype);
    switch (v.kind) {
      case 'allow':
      // The DS of a listed apex goes upstream unlogged (log-only lists do what enforcement would).
      case 'apex-ds':
        return GO_ON;
      case 'block':
        return sinkhole(snap, msg, q, remote, who, v.entry);
      case 'log-only':
        logOnly(snap, q, remote, who, v.entry);
        return GO_ON_LOG_ONLY;
      case 'bypass': {
        logBypass(log, context(snap, q, remote, who), v.rule);
        const { config } = snap;
        const reply = sinkholeAnswer(msg, q, {
          mode: v.rule.answer,
          ttlSec: config.sinkhole.ttlSec,
          ipv4: null,
          ipv6: null,
          udpSize: config.edns.udpSize,
          zone: v.rule.domain,
          // No EDE: the signal must look like an ordinary negative answer to the software that reads it.
          ede: null,
        });
        return { done: true, answer: remote.transport === 'udp' ? fitUdp(reply, q, config.edns.udpSize) : reply, outcome: 'bypass' };
      }
      case 'exception': {
        logException(log, context(snap, q, remote, who), v.exception, overriddenOf(v.overridden));
        return GO_ON;
      }
    }
  };

  const inspect = (snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity, answer: Buffer): StageResult => {
    const names = snap.config.inspection.cname;
    const ips = snap.policy.prefixCount > 0;
    if ((!names && !ips) || answer.length < 12 || ((answer[6]! << 8) | answer[7]!) === 0) return GO_ON;
    const addresses: AnswerAddress[] | null = ips ? [] : null;
    const chain = walkAnswer(answer, q.questionEnd, q.qname, addresses);
    // A log-only match is written only once no enforced match sinkholes the answer: one query, one outcome line.
    let pending: { entry: PolicyEntry; found: Found } | undefined;
    const markLogOnly = (entry: PolicyEntry, found: Found): void => {
      pending ??= { entry, found };
    };
    if (names) {
      for (const name of chain) {
        const v = verdictFor(snap, who, name, TYPE_ANY_NAME);
        if (v.kind === 'block') return sinkhole(snap, msg, q, remote, who, v.entry, { via: name });
        if (v.kind === 'log-only') markLogOnly(v.entry, { via: name });
        if (v.kind === 'exception') logException(log, context(snap, q, remote, who), v.exception, overriddenOf(v.overridden));
      }
    }
    for (const a of addresses ?? []) {
      const bytes = answer.subarray(a.offset, a.offset + (a.v4 ? 4 : 16));
      for (const entry of snap.policy.matchAddress(bytes, a.v4)) {
        if (who.group.lists !== null && !who.group.lists.has(entry.list.id)) continue;
        const found = { answerIp: formatAddress(bytes) };
        // An exception for the name asked covers whatever that name resolves to.
        const exception = activeException(who.group, q.qname, snap.now());
        if (exception !== undefined) {
          logException(log, context(snap, q, remote, who), exception, { entry, logOnly: entry.list.mode === 'log-only' });
          break;
        }
        if (entry.list.mode === 'log-only') {
          markLogOnly(entry, found);
          continue;
        }
        return sinkhole(snap, msg, q, remote, who, entry, found);
      }
    }
    if (pending === undefined) return GO_ON;
    logOnly(snap, q, remote, who, pending.entry, pending.found);
    return GO_ON_LOG_ONLY;
  };

  return { judge, inspect };
}
