/**
 * User attempts among sinkholed queries: one `getaddrinfo` asks A and AAAA (and a browser HTTPS too), and with a
 * search domain asks the name again with the domain appended, so one user action writes 2 to 6 lines. The
 * queries of one client within ATTEMPT_WINDOW_MS of an attempt's first query, for the same name or that name with
 * a suffix appended (or the name of which it is the suffixed form), are one attempt; A, AAAA and HTTPS count
 * together, any other type only with itself.
 */

/** How long after an attempt's first query the client's queries for the same name still belong to it. */
export const ATTEMPT_WINDOW_MS = 2000;

/** The query types one address lookup asks together. */
const ADDRESS_TYPES = new Set(['A', 'AAAA', 'HTTPS']);

/** One open attempt: when it began. */
interface Attempt {
  readonly start: number;
}

/** Open attempts of one client, looked up three ways (see AttemptCounter.isNew). */
interface ClientAttempts {
  /** Kind + NUL + the attempt's first name. */
  readonly byName: Map<string, Attempt>;
  /** Kind + NUL + every label-prefix of the first name ('chat', 'chat.deepseek' for 'chat.deepseek.com'). */
  readonly byPrefix: Map<string, Attempt>;
  /** Size of byName after the last pruning: the next pruning waits until it has doubled. */
  pruneAt: number;
  /** Latest query time seen, for pruning. */
  latest: number;
}

/** Entries per client before the first pruning of attempts that no later line can join. */
const FIRST_PRUNE = 1024;

/** AttemptCounter tells, line by line, whether a sinkholed query starts a new user attempt. */
export class AttemptCounter {
  readonly #clients = new Map<string, ClientAttempts>();

  /**
   * isNew is true when the query starts an attempt, false when it joins one begun at most ATTEMPT_WINDOW_MS away
   * (either side: lines of several threads or files need not be in time order).
   */
  isNew(client: string, qname: string, qtype: string, time: number): boolean {
    let c = this.#clients.get(client);
    if (c === undefined) {
      c = { byName: new Map(), byPrefix: new Map(), pruneAt: FIRST_PRUNE, latest: time };
      this.#clients.set(client, c);
    }
    c.latest = Math.max(c.latest, time);
    const kind = ADDRESS_TYPES.has(qtype) ? 'address' : qtype;
    const open = (a: Attempt | undefined): boolean => a !== undefined && Math.abs(time - a.start) <= ATTEMPT_WINDOW_MS;
    // The same name, or the attempt's name with a search domain appended to it.
    if (open(c.byName.get(`${kind}\u0000${qname}`))) return false;
    const prefixes = labelPrefixes(qname);
    for (const p of prefixes) if (open(c.byName.get(`${kind}\u0000${p}`))) return false;
    // The name whose search-domain form began the attempt (high ndots asks the suffixed name first).
    if (open(c.byPrefix.get(`${kind}\u0000${qname}`))) return false;

    const attempt: Attempt = { start: time };
    c.byName.set(`${kind}\u0000${qname}`, attempt);
    for (const p of prefixes) c.byPrefix.set(`${kind}\u0000${p}`, attempt);
    if (c.byName.size >= c.pruneAt) prune(c);
    return true;
  }
}

/** labelPrefixes gives the names made of the first labels of `name`, shortest first, without `name` itself. */
function labelPrefixes(name: string): string[] {
  const out: string[] = [];
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) out.push(name.slice(0, dot));
  return out;
}

/** prune drops attempts that began too long before the latest line for any in-order line to join them. */
function prune(c: ClientAttempts): void {
  const horizon = c.latest - 2 * ATTEMPT_WINDOW_MS;
  for (const map of [c.byName, c.byPrefix]) {
    for (const [key, a] of map) if (a.start < horizon) map.delete(key);
  }
  c.pruneAt = Math.max(FIRST_PRUNE, 2 * c.byName.size);
}
