/**
 * The active policy of one client group as an RPZ zone (QNAME triggers), so BIND, Unbound, Knot Resolver or
 * PowerDNS fleets can enforce the same bans; every block carries its list, vendor, basis and file:line in a
 * comment. Exceptions in force become rpz-passthru. entries and win over any block at or below them, as in hradba.
 */
import type { Config } from '../config/types.js';
import { antiBypassRules } from './anti-bypass.js';
import { activeException, type ClientGroup } from './client-groups.js';
import type { LoadedList } from './list-file.js';
import type { ListInfo } from './types.js';

/** What an export is made from. */
export interface RpzExportInput {
  readonly config: Pick<Config, 'file' | 'sinkhole' | 'antiBypass'>;
  /** Enabled lists in config order, with their ListInfo as the policy holds it (mode). */
  readonly lists: ReadonlyArray<{ readonly info: ListInfo; readonly loaded: Pick<LoadedList, 'entries'> }>;
  readonly group: ClientGroup;
  /** Exceptions are exported when in force at this time; the zone says so. */
  readonly nowMs: number;
  /** Zone name (absolute, with the trailing dot). */
  readonly origin: string;
  /**
   * hradba's own answer for a name asked by the group: 'block' (sinkhole), 'nodata' (a NODATA signal) or
   * 'allow'. Used to fill the nodes DNS wildcard rules would otherwise leave uncovered.
   */
  readonly verdict: (name: string) => 'block' | 'nodata' | 'allow';
}

/** Names and wildcard owners must not repeat with different actions: a CNAME owner holds one record. */
class ZoneBody {
  readonly lines: string[] = [];
  readonly #owners = new Set<string>();

  has(owner: string): boolean {
    return this.#owners.has(owner);
  }

  owners(): string[] {
    return [...this.#owners];
  }

  /** add writes `owner CNAME target ; comment` unless the owner is already taken (the earlier one wins, as in hradba). */
  add(owner: string, target: string, comment: string): boolean {
    if (this.#owners.has(owner)) return false;
    this.#owners.add(owner);
    this.lines.push(`${owner} CNAME ${target} ; ${comment}`);
    return true;
  }

  /** name adds the name and, unless exact, its wildcard. */
  name(domain: string, exact: boolean, target: string, comment: string): void {
    this.add(domain, target, comment);
    if (!exact) this.add(`*.${domain}`, target, comment);
  }
}

/** One-line text safe inside a zone-file comment. */
function flat(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** exportRpz renders the zone text. */
export function exportRpz(input: RpzExportInput): string {
  const { config, group, nowMs } = input;
  // RPZ has NXDOMAIN ('CNAME .') and NODATA ('CNAME *.'); hradba's other sinkhole modes map to NXDOMAIN.
  const action = config.sinkhole.mode === 'nodata' ? '*.' : '.';
  const head: string[] = [
    `; Response policy zone exported by hradba from ${config.file}`,
    `; group: ${group.name}; exported at ${new Date(nowMs).toISOString()}`,
    `; blocks answer ${action === '.' ? 'NXDOMAIN (CNAME .)' : 'NODATA (CNAME *.)'}; hradba sinkhole mode: ${config.sinkhole.mode}`,
    '; exceptions in force at export time are rpz-passthru. entries; re-export when one expires',
    `$ORIGIN ${input.origin}`,
    '$TTL 60',
    `@ IN SOA localhost. hostmaster.localhost. ( ${Math.floor(nowMs / 1000) >>> 0} 3600 600 86400 60 )`,
    '@ IN NS localhost.',
  ];
  const body = new ZoneBody();

  // Exceptions first: they win over every block at or below them in hradba, and so they must here.
  const excepted = (domain: string): boolean => activeException(group, domain, nowMs) !== undefined;
  for (const ex of group.rules) {
    if (ex.expiresAtMs !== null && nowMs >= ex.expiresAtMs) {
      body.lines.push(`; exception ${ex.domain} of group ${group.name} expired ${ex.expires ?? ''}: not exported`);
      continue;
    }
    body.lines.push(`; exception of group ${group.name}: ${flat(ex.reason)}; expires ${ex.expires ?? 'never'}`);
    body.name(ex.domain, false, 'rpz-passthru.', `exception ${ex.domain}`);
  }

  for (const { info, loaded } of input.lists) {
    const applies = group.lists === null || group.lists.has(info.id);
    body.lines.push('');
    if (!applies || info.mode === 'log-only') {
      body.lines.push(`; list ${info.id}: not exported (${applies ? 'log-only' : `not enforced for group ${group.name}`})`);
      continue;
    }
    body.lines.push(`; list ${info.id}: vendor ${flat(info.vendorName)} (${info.vendor}); file ${info.file}`);
    for (const b of info.basis) body.lines.push(`; basis: ${flat(b.authority)}, ${b.date}: ${flat(b.title)} <${b.url}>`);
    for (const s of info.sources ?? []) body.lines.push(`; source: ${flat(s)}`);
    for (const e of loaded.entries) {
      const where = `${info.id} ${info.file}:${e.line}`;
      if (e.allow === true) {
        body.name(e.domain, e.exact, 'rpz-passthru.', `allow ${where}`);
        continue;
      }
      if (excepted(e.domain)) continue;
      body.name(e.domain, e.exact, action, where);
    }
  }

  const bypass = antiBypassRules(config.antiBypass);
  if (bypass.length > 0) {
    body.lines.push('', '; anti-bypass signals');
    for (const r of bypass) {
      if (excepted(r.domain)) continue;
      body.name(r.domain, r.exact, r.answer === 'nodata' ? '*.' : '.', `antiBypass.${r.key}`);
    }
  }
  fillShadowedNodes(body, input.verdict, action);
  return `${[...head, ...body.lines].join('\n')}\n`;
}

/**
 * DNS wildcards (RFC 4592) do not reach below an existing node: with 'exact.example.net' in the zone,
 * '*.example.net' no longer covers 'sub.exact.example.net', and an owner 'a.b.example.net' shields 'b.example.net'.
 * hradba's suffix entries do reach there, so every node on the way down to an owner gets its own records,
 * computed from hradba's verdict for the node itself and for an arbitrary name below it ('*' is never a list label).
 */
function fillShadowedNodes(body: ZoneBody, verdict: RpzExportInput['verdict'], blockTarget: string): void {
  const owners = body.owners();
  const wildcardBases = new Set(owners.filter((o) => o.startsWith('*.')).map((o) => o.slice(2)));
  const nodes = new Set<string>();
  for (const o of owners) {
    let n = o.startsWith('*.') ? o.slice(2) : o;
    // Every node from the owner up to its top-level label.
    for (;;) {
      nodes.add(n);
      const dot = n.indexOf('.');
      if (dot < 0) break;
      n = n.slice(dot + 1);
    }
  }
  const target = (v: 'block' | 'nodata' | 'allow'): string => (v === 'block' ? blockTarget : v === 'nodata' ? '*.' : 'rpz-passthru.');
  const coveredAbove = (n: string): boolean => {
    for (let dot = n.indexOf('.'); dot >= 0; dot = n.indexOf('.', dot + 1)) if (wildcardBases.has(n.slice(dot + 1))) return true;
    return false;
  };
  const filled: string[] = [];
  for (const n of [...nodes].sort()) {
    if (!body.has(n)) {
      const v = verdict(n);
      // An allowed node needs a record only where a wildcard above could be read as covering it.
      if (v !== 'allow' || coveredAbove(n)) if (body.add(n, target(v), 'covers a node the wildcards above do not reach')) filled.push(n);
    }
    if (!body.has(`*.${n}`)) {
      const v = verdict(`*.${n}`);
      if (v !== 'allow' || coveredAbove(n) || wildcardBases.has(n)) body.add(`*.${n}`, target(v), 'covers names below a node the wildcards above do not reach');
    }
  }
}
