/**
 * The path of one query: access control, wire checks, policy (sinkhole), locally served names, then
 * forwarding. Order matters:
 * - access first, so a stranger learns nothing, not even whether its packet was well-formed;
 * - policy before local zones and forwarding, so a banned name never leaves the building;
 * - local zones before forwarding, so private reverse lookups and `localhost` never leak upstream, unless a
 *   `forwardZones` rule sends such a zone to its own upstreams;
 * - the cache below all of these (src/cache/cache-stage.ts), so it only ever serves names the policy allows;
 * - answer inspection (CNAME/DNAME chains, answer addresses) on every answer, cached or fresh, so a reload
 *   that bans a chain member applies to answers already in the cache.
 */
import type { Logger } from 'pino';
import { CLASS_IN, EDE, RCODE, TYPE } from '../dns/constants.js';
import { withoutEcs } from '../dns/ecs.js';
import { errorReply, rcodeReply } from '../dns/error-reply.js';
import { localAnswer } from '../dns/local-zone.js';
import { parseQuery } from '../dns/query.js';
import { fitUdp } from '../dns/truncate.js';
import type { ParsedQuery } from '../dns/types.js';
import type { QueryHandler, Remote } from '../net/types.js';
import type { ClientIdentity } from '../policy/client-groups.js';
import type { PolicyEntry } from '../policy/types.js';
import type { Forwarder } from '../upstream/types.js';
import { routeOf } from '../decision/query-decision.js';
import { createPolicyStage } from './policy-stage.js';
import type { Snapshot } from './snapshot.js';

/** Counts queries still being answered, so shutdown and retired forwarders can wait for them. */
export class InFlight {
  #count = 0;
  #waiters: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  enter(): void {
    this.#count++;
  }

  leave(): void {
    this.#count--;
    if (this.#count === 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  /** idle resolves when no query is in progress, or after `maxMs`, whichever comes first. */
  idle(maxMs: number): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** How a query ended; every query ends in exactly one of these (metrics and logs count them). */
export type Outcome =
  | 'sinkholed'
  | 'forwarded'
  | 'local'
  | 'refused'
  | 'servfail'
  | 'formerr'
  | 'notimp'
  | 'dropped'
  /** Answered normally, but a log-only list matched (a "would sinkhole" line was written). */
  | 'would-sinkhole'
  /** An anti-bypass signal name was answered negatively (a bypass attempt). */
  | 'bypass';

/** Told of every query's outcome once it is known; `entry` is the matched policy entry for 'sinkholed'. */
export type QueryObserver = (outcome: Outcome, remote: Remote, entry?: PolicyEntry) => void;

export interface QueryHandlerDeps {
  /** The snapshot in force; read once per query. */
  readonly current: () => Snapshot;
  readonly log: Logger;
  readonly inFlight: InFlight;
  /** Optional outcome hook (metrics); must be cheap and must not throw. */
  readonly observe?: QueryObserver;
}

const ignoreOutcome: QueryObserver = () => {};

/** Zone transfers ask for a whole zone: hradba serves no zone, so they are refused outright. */
const TRANSFER_TYPES = new Set<number>([TYPE.AXFR, TYPE.IXFR]);

/** createQueryHandler returns the handler every listener calls with a raw message. */
export function createQueryHandler(deps: QueryHandlerDeps): QueryHandler {
  const { current, log, inFlight } = deps;
  const observe = deps.observe ?? ignoreOutcome;
  const queryLog = log.child({ component: 'query' });
  const stage = createPolicyStage(log);

  /**
   * Hands an allowed answer (from the cache or an upstream, already carrying the client's ID and question)
   * to the client: inspected first, since an alias chain into a banned name is sinkholed all the same.
   */
  const deliver = (snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity, logOnly: boolean, answer: Buffer, source: string): Buffer => {
    const inspected = stage.inspect(snap, msg, q, remote, who, answer);
    if (inspected.done) {
      observe(inspected.outcome, remote, inspected.entry);
      return inspected.answer;
    }
    if (snap.config.log.queries) queryLog.debug({ event: 'query', client: remote.address, qname: q.qname, qtype: q.qtype, outcome: 'forwarded', source }, 'forwarded');
    observe(logOnly || inspected.logOnly ? 'would-sinkhole' : 'forwarded', remote);
    return remote.transport === 'udp' ? fitUdp(answer, q, snap.config.edns.udpSize) : answer;
  };

  /** A cache hit is answered synchronously; a miss goes to forward(). */
  const answerAllowed = (snap: Snapshot, msg: Buffer, q: ParsedQuery, remote: Remote, who: ClientIdentity, logOnly: boolean, pool: Forwarder): Buffer | null | Promise<Buffer | null> => {
    // ECS is stripped unless configured otherwise; a query whose ECS goes upstream bypasses the cache.
    const stripped = withoutEcs(msg, q.questionEnd);
    const upstreamQuery = snap.config.ecs.strip ? stripped : msg;
    const cacheable = snap.config.ecs.strip || stripped === msg;
    const hit = snap.stage.cached(pool, msg, q, upstreamQuery, cacheable);
    if (hit === null) return forward(snap, msg, q, remote, who, logOnly, pool, upstreamQuery, cacheable);
    return deliver(snap, msg, q, remote, who, logOnly, hit, 'cache');
  };

  const forward = async (
    snap: Snapshot,
    msg: Buffer,
    q: ParsedQuery,
    remote: Remote,
    who: ClientIdentity,
    logOnly: boolean,
    pool: Forwarder,
    upstreamQuery: Buffer,
    cacheable: boolean,
  ): Promise<Buffer | null> => {
    inFlight.enter();
    try {
      const udpSize = snap.config.edns.udpSize;
      const result = await snap.stage.resolve(pool, msg, q, upstreamQuery, cacheable, true);
      if (result.ok) return deliver(snap, msg, q, remote, who, logOnly, result.answer, result.source);
      if (result.reason === 'malformed') {
        queryLog.warn({ event: 'upstream-malformed', upstream: result.upstream, qname: q.qname }, 'unusable upstream answer');
      } else if (snap.config.log.queries) {
        queryLog.debug({ event: 'query', client: remote.address, qname: q.qname, qtype: q.qtype, outcome: 'servfail', reason: result.reason }, 'servfail');
      }
      observe('servfail', remote);
      return rcodeReply(msg, q, RCODE.SERVFAIL, {
        udpSize,
        ede: {
          code: EDE.NO_REACHABLE_AUTHORITY,
          text: result.reason === 'all-down' ? 'every upstream is down' : result.reason === 'malformed' ? 'upstream answers were malformed' : 'no upstream answered in time',
        },
      });
    } catch (err) {
      // A bug, not a network failure: the client still gets an answer, the stack reaches the log.
      queryLog.error({ err, qname: q.qname }, 'query failed');
      observe('servfail', remote);
      return rcodeReply(msg, q, RCODE.SERVFAIL, { udpSize: snap.config.edns.udpSize });
    } finally {
      inFlight.leave();
    }
  };

  const handle = (msg: Buffer, remote: Remote): Buffer | null | Promise<Buffer | null> => {
    const snap = current();
    const { config } = snap;
    const udpSize = config.edns.udpSize;

    const allowed = snap.isAllowed(remote.address);
    if (!allowed && config.access.action === 'drop') {
      observe('dropped', remote);
      return null;
    }

    const parsed = parseQuery(msg);
    if (!parsed.ok) {
      const { failure } = parsed;
      // A stranger's malformed packet earns silence, never a reflected error.
      if (failure.action === 'drop' || !allowed) {
        observe('dropped', remote);
        return null;
      }
      observe(failure.rcode === RCODE.NOTIMP ? 'notimp' : 'formerr', remote);
      return errorReply(msg, failure, udpSize);
    }
    const q = parsed.query;
    if (!allowed || q.qclass !== CLASS_IN || TRANSFER_TYPES.has(q.qtype)) {
      observe('refused', remote);
      return rcodeReply(msg, q, RCODE.REFUSED, { udpSize });
    }

    const who = snap.groups.identify(remote.address);
    const judged = stage.judge(snap, msg, q, remote, who);
    if (judged.done) {
      observe(judged.outcome, remote, judged.entry);
      return judged.answer;
    }

    // Where the policy let it go: a forwardZones rule beats the locally served zones (src/decision/).
    const route = routeOf(q.qname, snap.forwardZones, config.forward.testNames);
    if (route.kind === 'local') {
      const local = localAnswer(msg, q, udpSize, config.forward.testNames);
      if (local !== null) {
        observe('local', remote);
        return remote.transport === 'udp' ? fitUdp(local, q, udpSize) : local;
      }
    }
    const pool = route.kind === 'forward' && route.zone !== null ? (snap.router.zonePool(q.qname) ?? snap.forwarder) : snap.forwarder;
    return answerAllowed(snap, msg, q, remote, who, judged.logOnly, pool);
  };

  return (msg, remote) => {
    try {
      return handle(msg, remote);
    } catch (err) {
      // Only a bug lands here; one query is lost to it, never the listener.
      queryLog.error({ err, client: remote.address }, 'query handling failed');
      observe('dropped', remote);
      return null;
    }
  };
}
