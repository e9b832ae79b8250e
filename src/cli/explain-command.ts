/** `hradba explain`: says whether a name would be blocked for a client, by which entry, list, vendor and legal basis. */
import { compileAcl } from '../access/acl.js';
import { loadConfig } from '../config/load.js';
import { longestZone } from '../upstream/forward-router.js';
import { isLocalZone } from '../dns/local-zone.js';
import { normalizeDomain } from '../policy/domain-name.js';
import { buildPolicy } from '../policy/policy.js';
import type { PolicyEntry } from '../policy/types.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface ExplainOptions {
  readonly config: string;
  readonly client?: string;
  readonly json?: boolean;
}

function describeEntry(e: PolicyEntry): Record<string, unknown> {
  return {
    entry: e.exact ? `=${e.domain}` : e.domain,
    match: e.exact ? 'exact' : 'domain and subdomains',
    list: e.list.id,
    file: `${e.list.file}:${e.line}`,
    vendor: e.list.vendor,
    vendorName: e.list.vendorName,
    basis: e.list.basis,
  };
}

/** explain prints the verdict and returns the exit code (0 whatever the verdict; non-zero only on errors). */
export async function explain(domain: string, opts: ExplainOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const name = normalizeDomain(domain);
  if (typeof name !== 'string') {
    out.write(`hradba: '${domain}' is not a domain name: ${name.error}\n`);
    return EXIT.USAGE;
  }
  let config;
  let policy;
  try {
    config = await loadConfig(opts.config);
    policy = await buildPolicy(config.lists, config.maxBadLines, 1);
  } catch (err) {
    out.write(`hradba: cannot load ${opts.config}\n`);
    for (const line of problemsOf(err)) out.write(`  ${line}\n`);
    return EXIT.CONFIG;
  }

  const verdict: Record<string, unknown> = { name };
  if (opts.client !== undefined) {
    const allowed = compileAcl(config.access.allow)(opts.client);
    verdict.client = opts.client;
    verdict.clientAllowed = allowed;
    if (!allowed) verdict.clientAnswer = config.access.action === 'drop' ? 'dropped (no answer)' : 'REFUSED';
  }
  const winner = policy.match(name);
  const all = policy.matchAll(name);
  if (winner !== undefined) {
    verdict.verdict = 'blocked';
    verdict.answer = config.sinkhole.mode;
    verdict.matched = describeEntry(winner);
    if (all.length > 1) verdict.alsoMatching = all.filter((e) => e !== winner).map(describeEntry);
  } else {
    const rule = longestZone(name, new Set(config.forwardZones.map((z) => z.zone)));
    const zone = rule === null ? isLocalZone(name) : null;
    verdict.verdict = zone === null ? 'allowed' : 'answered locally';
    if (zone !== null) verdict.localZone = zone;
    else if (rule !== null) {
      const upstreams = config.forwardZones.find((z) => z.zone === rule)?.upstreams ?? [];
      verdict.answer = `forwarded (forwardZones: ${rule}) to ${upstreams.map((u) => u.url).join(', ')}`;
    } else verdict.answer = `forwarded to ${config.upstreams.map((u) => u.url).join(', ')}`;
  }
  verdict.policy = policy.lists.map((l) => l.info.id);

  if (opts.json === true) {
    out.write(`${JSON.stringify(verdict, null, 2)}\n`);
    return EXIT.OK;
  }
  const lines: string[] = [];
  if (opts.client !== undefined) {
    lines.push(verdict.clientAllowed === true ? `client ${opts.client}: allowed to query` : `client ${opts.client}: not in access.allow: ${String(verdict.clientAnswer)} (the name is not even looked up)`);
  }
  if (winner !== undefined) {
    lines.push(`${name}: BLOCKED (answer: ${config.sinkhole.mode})`);
    lines.push(`  entry:   ${winner.exact ? `=${winner.domain} (this name only)` : `${winner.domain} (and every subdomain)`}`);
    lines.push(`  list:    ${winner.list.id} (${winner.list.file}:${winner.line})`);
    lines.push(`  vendor:  ${winner.list.vendorName} (${winner.list.vendor})`);
    for (const b of winner.list.basis) lines.push(`  basis:   ${b.authority}, ${b.date}: ${b.title} <${b.url}>`);
    for (const e of all) {
      if (e !== winner) lines.push(`  also matched, less specific: ${e.domain} in list ${e.list.id} (${e.list.file}:${e.line})`);
    }
  } else if (verdict.verdict === 'answered locally') {
    lines.push(`${name}: allowed, answered locally (zone ${String(verdict.localZone)}), never forwarded`);
  } else {
    lines.push(`${name}: allowed, ${String(verdict.answer)}`);
  }
  lines.push(`enforced lists: ${policy.lists.map((l) => `${l.info.id} (${l.entries})`).join(', ') || 'none'}`);
  out.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}
