/** `hradba explain`: says whether a name would be blocked for a client, by which entry, list, vendor and legal basis. */
import { isIP } from 'node:net';
import { compileAcl } from '../access/acl.js';
import { loadConfig } from '../config/load.js';
import { TYPE, typeName } from '../dns/constants.js';
import { decide, type DecisionSource, type QueryDecision } from '../decision/query-decision.js';
import { normalizeDomain } from '../policy/domain-name.js';
import { activeException, type ClientGroup, type ExceptionRule } from '../policy/client-groups.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import { buildPolicy, type Policy } from '../policy/policy.js';
import { addressBytes } from '../policy/prefix-table.js';
import type { Verdict } from '../policy/verdict.js';
import type { PolicyEntry } from '../policy/types.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

export interface ExplainOptions {
  readonly config: string;
  readonly client?: string;
  readonly json?: boolean;
  /** The query type (mnemonic or number), default A: a DS for a listed apex goes upstream. */
  readonly type?: string;
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

/** typeNumber reads a query type given as a mnemonic (A, DS, ...), TYPEnnn or a number; null when it is neither. */
function typeNumber(text: string): number | null {
  const upper = text.toUpperCase();
  const known = (TYPE as Readonly<Record<string, number>>)[upper];
  if (known !== undefined) return known;
  const digits = /^(?:TYPE)?(\d{1,5})$/.exec(upper)?.[1];
  const n = digits === undefined ? NaN : Number(digits);
  return n >= 1 && n <= 65535 ? n : null;
}

/** Each expired exception once, though a refused client's name is decided twice. */
function uniqueRules(rules: readonly ExceptionRule[]): ExceptionRule[] {
  return [...new Set(rules)];
}

/**
 * decisionSummary is the decision in a few stable fields (the JSON `decision`): what the client gets, and why
 * by name (entry, list, signal, zone). The same fields are what the running server can be seen to do.
 */
function decisionSummary(d: QueryDecision): Record<string, unknown> {
  switch (d.kind) {
    case 'refused':
      return { kind: 'refused', action: d.action };
    case 'sinkholed':
      return { kind: 'sinkholed', group: d.group.name, entry: d.entry.exact ? `=${d.entry.domain}` : d.entry.domain, list: d.entry.list.id, vendor: d.entry.list.vendor, mode: d.mode };
    case 'bypass':
      return { kind: 'bypass', group: d.group.name, signal: d.rule.key, name: d.rule.domain, answer: d.rule.answer };
    case 'answered': {
      const v = d.verdict;
      const why =
        v.kind === 'exception' ? { exception: v.exception.domain } : v.kind === 'log-only' ? { logOnly: v.entry.list.id } : v.kind === 'apex-ds' ? { apexDs: v.passed.kind === 'bypass' ? v.passed.rule.domain : v.passed.entry.domain } : {};
      return d.route.kind === 'local'
        ? { kind: 'local', group: d.group.name, zone: d.route.zone, ...why }
        : { kind: 'forwarded', group: d.group.name, zone: d.route.zone, ...why };
    }
  }
}

/** loadForExplain loads config, policy and group policy as the server would, or prints why not and returns null. */
async function loadForExplain(configFile: string, out: NodeJS.WritableStream) {
  try {
    const config = await loadConfig(configFile);
    const policy: Policy = await buildPolicy(config.lists, config.maxBadLines, 1);
    const compiled = compileGroupPolicy(config, policy);
    const source: DecisionSource = {
      policy,
      bypass: compiled.bypass,
      groups: compiled.groups,
      isAllowed: compileAcl(config.access.allow),
      forwardZones: new Set(config.forwardZones.map((z) => z.zone)),
      config,
      now: Date.now,
    };
    return { config, policy, compiled, source };
  } catch (err) {
    out.write(`hradba: cannot load ${configFile}\n`);
    for (const line of problemsOf(err)) out.write(`  ${line}\n`);
    return null;
  }
}

/** explain prints the verdict and returns the exit code (0 whatever the verdict; non-zero only on errors). */
export async function explain(domain: string, opts: ExplainOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (isIP(domain) !== 0) return explainAddress(domain, opts, out);
  const name = normalizeDomain(domain);
  if (typeof name !== 'string') {
    out.write(`hradba: '${domain}' is not a domain name: ${name.error}\n`);
    return EXIT.USAGE;
  }
  const qtype = typeNumber(opts.type ?? 'A');
  if (qtype === null) {
    out.write(`hradba: --type '${opts.type ?? ''}' is not a query type (a mnemonic such as A, AAAA, DS, or a number 1-65535)\n`);
    return EXIT.USAGE;
  }
  const loaded = await loadForExplain(opts.config, out);
  if (loaded === null) return EXIT.CONFIG;
  const { config, policy, compiled } = loaded;

  const { source } = loaded;
  const verdict: Record<string, unknown> = { name };
  if (qtype !== TYPE.A) verdict.type = typeName(qtype);
  const expired: ExceptionRule[] = [];
  const onExpired = (r: ExceptionRule): void => {
    expired.push(r);
  };
  // The one decision the server makes (src/decision/); explain only formats it.
  const asked = decide(source, name, qtype, opts.client, { onExpired });
  if (opts.client !== undefined) {
    verdict.client = opts.client;
    verdict.clientAllowed = asked.kind !== 'refused';
    if (asked.kind === 'refused') verdict.clientAnswer = asked.action === 'drop' ? 'dropped (no answer)' : 'REFUSED';
  }
  // For a refused client, what its group would get if it were let in.
  const d = asked.kind === 'refused' ? decide(source, name, qtype, opts.client, { ignoreAccess: true, onExpired }) : asked;
  if (d.kind === 'refused') throw new Error('unreachable: access was ignored');
  verdict.decision = decisionSummary(asked);
  const group: ClientGroup = d.group;
  const who = { name: d.clientName, group };
  const nowMs = source.now();
  // The name's verdict as the decision carries it; an apex DS is reported with what it passed.
  const v: Verdict = d.kind === 'sinkholed' ? { kind: 'block', entry: d.entry } : d.kind === 'bypass' ? { kind: 'bypass', rule: d.rule } : d.verdict.kind === 'apex-ds' ? { kind: 'allow' } : d.verdict;
  verdict.group = group.name;
  if (who.name !== null) verdict.clientName = who.name;
  const allEntries = policy.matchAll(name);
  const notForGroup = allEntries.filter((e) => group.lists !== null && !group.lists.has(e.list.id));
  const all = allEntries.filter((e) => !notForGroup.includes(e));
  const winner = v.kind === 'block' ? v.entry : v.kind === 'exception' && v.overridden.kind === 'block' ? v.overridden.entry : undefined;
  const exception = v.kind === 'exception' ? v.exception : activeException(group, name, nowMs);
  const bypassRule = v.kind === 'bypass' ? v.rule : v.kind === 'exception' && v.overridden.kind === 'bypass' ? v.overridden.rule : compiled.bypass.match(name);
  const logOnly = all.find((e) => e.list.mode === 'log-only');
  if (notForGroup.length > 0) verdict.notEnforcedForGroup = notForGroup.map(describeEntry);
  if (exception !== undefined) verdict.exception = { domain: exception.domain, reason: exception.reason, expires: exception.expires, group: exception.group };
  if (expired.length > 0) verdict.expiredExceptions = uniqueRules(expired).map((r) => ({ domain: r.domain, reason: r.reason, expires: r.expires }));
  if (bypassRule !== undefined) verdict.bypassSignal = { signal: bypassRule.key, name: bypassRule.domain, answer: bypassRule.answer, why: bypassRule.why };
  if (logOnly !== undefined) verdict.logOnly = describeEntry(logOnly);
  const zone = d.kind === 'answered' && d.route.kind === 'forward' ? d.route.zone : null;
  const upstreamsOf = (): string => {
    if (zone === null) return `forwarded to ${config.upstreams.map((u) => u.url).join(', ')}`;
    const upstreams = config.forwardZones.find((z) => z.zone === zone)?.upstreams ?? [];
    return `forwarded (forwardZones: ${zone}) to ${upstreams.map((u) => u.url).join(', ')}`;
  };
  // Where a query the policy let on goes: an exception or a log-only entry does not change the route.
  const answerOf = (): string => (d.kind === 'answered' && d.route.kind === 'local' ? `answered locally (zone ${d.route.zone}), never forwarded` : upstreamsOf());
  if (d.kind === 'answered' && d.verdict.kind === 'apex-ds') {
    const p = d.verdict.passed;
    verdict.verdict = 'allowed, DS of a listed apex';
    verdict.answer = answerOf();
    verdict.passed = p.kind === 'bypass' ? { signal: p.rule.key, name: p.rule.domain } : { ...describeEntry(p.entry), ...(p.kind === 'log-only' ? { logOnly: true } : {}) };
    verdict.won = 'the parent zone answers the DS of the listed apex (RFC 4035 section 3.1.4.1): it goes upstream, unlogged';
  } else if (v.kind === 'exception') {
    verdict.verdict = 'allowed by exception';
    verdict.won = `exception for ${v.exception.domain} in group ${v.exception.group}`;
    if (winner !== undefined) verdict.overridden = describeEntry(winner);
    verdict.answer = answerOf();
  } else if (v.kind === 'bypass') {
    verdict.verdict = 'bypass signal';
    verdict.answer = v.rule.answer;
    verdict.won = `anti-bypass signal ${v.rule.key}`;
  } else if (v.kind === 'log-only') {
    verdict.verdict = 'allowed, would be sinkholed (log-only list)';
    verdict.answer = answerOf();
  }
  if (v.kind === 'block' && winner !== undefined) {
    verdict.verdict = 'blocked';
    verdict.answer = config.sinkhole.mode;
    verdict.matched = describeEntry(winner);
    if (exception === undefined && expired.length > 0) verdict.won = 'the list entry: the exception has expired';
    else verdict.won = `list entry ${winner.domain} of list ${winner.list.id}`;
    if (all.length > 1) verdict.alsoMatching = all.filter((e) => e !== winner).map(describeEntry);
  } else if (verdict.verdict === undefined && d.kind === 'answered') {
    verdict.verdict = d.route.kind === 'local' ? 'answered locally' : 'allowed';
    if (d.route.kind === 'local') verdict.localZone = d.route.zone;
    else verdict.answer = upstreamsOf();
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
  lines.push(`group:   ${who.group.name}${who.name === null ? '' : ` (client ${who.name})`}`);
  if (v.kind === 'exception') {
    lines.push(`${name}: ALLOWED BY EXCEPTION (${String(verdict.answer)})`);
    lines.push(`  exception: ${v.exception.domain} (and every subdomain), group ${v.exception.group}, config groups[].exceptions[${v.exception.index}]`);
    lines.push(`  reason:    ${v.exception.reason}`);
    lines.push(`  expires:   ${v.exception.expires ?? 'never'}`);
    const o = v.overridden;
    if (o.kind === 'bypass') lines.push(`  overrides: anti-bypass signal ${o.rule.key} (${o.rule.domain})`);
    else lines.push(`  overrides: ${o.entry.exact ? `=${o.entry.domain}` : o.entry.domain} in list ${o.entry.list.id} (${o.entry.list.file}:${o.entry.line})${o.kind === 'log-only' ? ', log-only' : ''}; vendor ${o.entry.list.vendorName}`);
    for (const b of o.kind === 'bypass' ? [] : o.entry.list.basis) lines.push(`  basis:     ${b.authority}, ${b.date}: ${b.title} <${b.url}>`);
    lines.push('  won:       the exception (an exception in force wins over a block in the same group)');
  } else if (v.kind === 'bypass') {
    lines.push(`${name}: BYPASS SIGNAL (answer: ${v.rule.answer}), logged as a bypass attempt`);
    lines.push(`  signal:  antiBypass.${v.rule.key}: ${v.rule.why}`);
  } else if (v.kind === 'log-only') {
    lines.push(`${name}: allowed, WOULD BE SINKHOLED by a log-only list (logged as would-sinkhole)`);
    lines.push(`  entry:   ${v.entry.exact ? `=${v.entry.domain}` : v.entry.domain} in list ${v.entry.list.id} (${v.entry.list.file}:${v.entry.line})`);
  }
  for (const r of expired) lines.push(`  expired exception: ${r.domain} (group ${r.group}, expired ${r.expires ?? '?'}): ${r.reason}; no longer applies`);
  for (const e of notForGroup) lines.push(`  not enforced for group ${who.group.name}: ${e.domain} in list ${e.list.id} (${e.list.file}:${e.line})`);
  if (v.kind === 'block' && winner !== undefined) {
    lines.push(`${name}: BLOCKED (answer: ${config.sinkhole.mode})`);
    lines.push(`  entry:   ${winner.exact ? `=${winner.domain} (this name only)` : `${winner.domain} (and every subdomain)`}`);
    lines.push(`  list:    ${winner.list.id} (${winner.list.file}:${winner.line})`);
    lines.push(`  vendor:  ${winner.list.vendorName} (${winner.list.vendor})`);
    for (const b of winner.list.basis) lines.push(`  basis:   ${b.authority}, ${b.date}: ${b.title} <${b.url}>`);
    for (const e of all) {
      if (e !== winner) lines.push(`  also matched, less specific: ${e.domain} in list ${e.list.id} (${e.list.file}:${e.line})`);
    }
    lines.push(`  won:     ${String(verdict.won)}`);
  } else if (v.kind !== 'allow') {
    // Said above.
  } else if (verdict.passed !== undefined) {
    lines.push(`${name} ${String(verdict.type)}: allowed, ${String(verdict.answer)}: the DS of a listed apex is the parent zone's answer, relayed unlogged`);
  } else if (verdict.verdict === 'answered locally') {
    lines.push(`${name}: allowed, answered locally (zone ${String(verdict.localZone)}), never forwarded`);
  } else {
    lines.push(`${name}: allowed, ${String(verdict.answer)}`);
  }
  lines.push(`enforced lists: ${policy.lists.map((l) => `${l.info.id} (${l.entries})`).join(', ') || 'none'}`);
  out.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

/** explainAddress says which prefix lists would sinkhole an answer holding this address (answer-IP inspection). */
async function explainAddress(address: string, opts: ExplainOptions, out: NodeJS.WritableStream): Promise<number> {
  const loaded = await loadForExplain(opts.config, out);
  if (loaded === null) return EXIT.CONFIG;
  const { policy, compiled } = loaded;
  const parsed = addressBytes(address);
  const group = opts.client === undefined ? compiled.groups.defaultGroup : compiled.groups.identify(opts.client).group;
  const all = parsed === null ? [] : policy.matchAddress(parsed.bytes, parsed.v4);
  const applies = all.filter((e) => group.lists === null || group.lists.has(e.list.id));
  const winner = applies.find((e) => e.list.mode !== 'log-only');
  const verdict = {
    address,
    group: group.name,
    verdict: winner !== undefined ? 'an answer holding it is sinkholed' : applies.length > 0 ? 'would be sinkholed (log-only list)' : 'not in any enforced prefix list',
    matched: applies.map(describeEntry),
    notEnforcedForGroup: all.filter((e) => !applies.includes(e)).map(describeEntry),
  };
  if (opts.json === true) {
    out.write(`${JSON.stringify(verdict, null, 2)}\n`);
    return EXIT.OK;
  }
  const lines = [`${address}: ${verdict.verdict} (group ${group.name}; prefix lists: ${policy.prefixCount} networks)`];
  for (const e of applies) {
    lines.push(`  network: ${e.domain} in list ${e.list.id} (${e.list.file}:${e.line})${e.list.mode === 'log-only' ? ', log-only' : ''}`);
    lines.push(`  vendor:  ${e.list.vendorName} (${e.list.vendor})`);
    for (const b of e.list.basis) lines.push(`  basis:   ${b.authority}, ${b.date}: ${b.title} <${b.url}>`);
  }
  for (const e of all) if (!applies.includes(e)) lines.push(`  not enforced for group ${group.name}: ${e.domain} in list ${e.list.id}`);
  out.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}
