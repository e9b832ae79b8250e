#!/usr/bin/env node
/**
 * Writes the shipped block lists (blocklists/<vendor-id>.list, blocklists/<vendor-id>-extended.list) and
 * blocklists/README.md from the project's vendor data (blocklists/vendors.yaml, the single source of the lists).
 *
 * Usage: node scripts/gen-blocklists.mjs [path/to/vendors.yaml [output/dir]]
 *        (default blocklists/vendors.yaml and blocklists/, relative to the repository root)
 *
 * What goes where, and why:
 * - `<id>.list` holds the vendor's `domains` as suffix entries (each covers every subdomain). For
 *   `cn-ai-advisory` the entries are written group by group (`groups`), with a comment naming each group.
 * - `exact_hosts` and `telemetry_fqdns` become exact entries (`=host`) in `<id>.list`, but only when no
 *   suffix entry of the list covers them already; the header says how many were covered.
 * - `<id>-extended.list` holds `domains_extended` (a list, or a map of named groups, flattened with a
 *   comment per group). It is an optional tier with more collateral damage; the default config leaves it off.
 * - `footprint.block` holds the names that the footprint audit (`hradba audit`) found and that were decided to
 *   block, each with its source: `tier: main` (the default) into `<id>.list`, `tier: extended` into
 *   `<id>-extended.list`; a leading '=' makes an exact entry (the way to list one name under a shared CDN).
 *   `footprint.exclude` (names decided not to block, with a reason) and `footprint.keywords` are for the audit.
 * - `tlds` are never written: blocking a whole top-level domain is out of scope for this resolver. The list
 *   header says which TLDs were left out.
 * - `do_not_block` names are never written. The leading domain names of each do_not_block note are
 *   extracted ('akamaized.net / edgesuite.net / edgekey.net (Akamai) ...' gives three); an entry EQUAL to
 *   one is dropped. Names below them stay allowed in the list on purpose: 'aliyun.com' must not be
 *   blocked, 'tongyi.aliyun.com' may be.
 * - A vendor without any domain (pacnet-comnet) still gets `<id>.list`, with a header and no entries, so a
 *   config can name every vendor and `hradba check` tells the same story for all of them.
 * - Basis lines: Czech authorities first (they are the legal ground for Czech public administration; the
 *   first basis is the one named in logs), otherwise in the order of vendors.yaml. A date with a qualifier
 *   ('2025-01 (late)') is written as its ISO part, the full text goes into a comment.
 * - Output is deterministic (no clock): `#@generated` is vendors.yaml's meta.generated.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { domainToASCII } from 'node:url';
import { parse } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The vendor data the lists are made from, kept in the repository beside the lists. */
export const VENDORS_YAML = path.join(repoRoot, 'blocklists', 'vendors.yaml');

/** Lists the default config enforces (vendors with a Czech legal basis). */
export const ENABLED_BY_DEFAULT = new Set(['deepseek', 'huawei', 'zte', 'tiktok']);

const DOMAIN_TOKEN = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;
const CZECH_AUTHORITY = /czech|núkib|nukib|česk|govcert\.cz/i;

/** doNotBlockNames extracts the domain names a do_not_block note starts with ('a.com / b.net (why)' → a.com, b.net). */
export function doNotBlockNames(notes) {
  const names = [];
  for (const note of notes ?? []) {
    const tokens = String(note).trim().split(/\s+/);
    // Leading tokens only: the explanation after them may mention names that are fine to block.
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (DOMAIN_TOKEN.test(t)) names.push(t.toLowerCase());
      else if (t !== '/') break;
    }
  }
  return names;
}

/** czechFirst orders bases with Czech authorities first, keeping the data's order otherwise (stable). */
export function czechFirst(basis) {
  const cz = basis.filter((b) => CZECH_AUTHORITY.test(b.authority));
  const rest = basis.filter((b) => !CZECH_AUTHORITY.test(b.authority));
  return [...cz, ...rest];
}

/** oneLine folds whitespace so a value fits on one header line. */
function oneLine(v) {
  return String(v ?? '').replace(/\s+/g, ' ').trim();
}

/** normalize checks a domain from the data and returns its canonical form; throws on anything odd. */
function normalize(name, where) {
  let d = oneLine(name).toLowerCase().replace(/\.$/, '');
  if (/[^\x00-\x7f]/.test(d)) d = domainToASCII(d);
  const labels = d.split('.');
  if (d === '' || d.length > 253 || labels.some((l) => l === '' || l.length > 63 || !/^[a-z0-9_-]+$/.test(l))) {
    throw new Error(`${where}: not a domain name: '${name}'`);
  }
  return d;
}

/** isCoveredBy is true when name equals or lies below a suffix in the set. */
function isCoveredBy(name, suffixes) {
  for (let d = name; ; ) {
    if (suffixes.has(d)) return true;
    const dot = d.indexOf('.');
    if (dot < 0) return false;
    d = d.slice(dot + 1);
  }
}

/** basisLine renders one basis as the `#@basis:` value, and what the four fields could not hold. */
function basisLine(b, vendorId) {
  const authority = oneLine(b.authority);
  const rawDate = oneLine(b.date);
  const title = oneLine(b.title);
  const url = oneLine(b.url);
  for (const [k, v] of [['authority', authority], ['date', rawDate], ['url', url]]) {
    if (v.includes('|')) throw new Error(`${vendorId}: basis ${k} contains '|': ${v}`);
    if (v === '') throw new Error(`${vendorId}: basis without ${k}`);
  }
  const m = /^\d{4}(-\d{2}(-\d{2})?)?/.exec(rawDate);
  if (m === null) throw new Error(`${vendorId}: basis date '${rawDate}' has no ISO part`);
  const notes = [];
  if (m[0] !== rawDate) notes.push(`date given as '${rawDate}'`);
  if (b.source_type) notes.push(`source: ${oneLine(b.source_type)}`);
  if (b.note) notes.push(oneLine(b.note));
  return { value: `${authority} | ${m[0]} | ${title} | ${url}`, notes };
}

/** sourceLines describes where the entries came from: vendors.yaml itself, then the upstream sources it names. */
function sourceLines(vendor, meta, yamlName) {
  const lines = [`${yamlName} (vendor '${vendor.id}', meta.generated ${meta.generated})`];
  for (const s of vendor.sources ?? []) {
    const commit = s.commit && s.commit !== 'n/a' ? ` @ ${String(s.commit).slice(0, 12)}` : '';
    const where = s.path && s.path !== 'n/a' ? ` ${s.path}` : '';
    lines.push(oneLine(`${s.repo}${where}${commit}; licence: ${s.licence ?? 'unknown'}`));
  }
  return lines;
}

/** The heading of the footprint audit's decided names in a list. */
const FOOTPRINT_GROUP = 'footprint audit decisions (footprint.block)';

/** footprintBlocks checks footprint.block and splits it by tier into suffix and exact names. */
export function footprintBlocks(vendor) {
  const out = { main: { suffix: [], exact: [] }, extended: { suffix: [], exact: [] } };
  (vendor.footprint?.block ?? []).forEach((b, i) => {
    const where = `${vendor.id}: footprint.block[${i}]`;
    if (typeof b?.name !== 'string' || typeof b.source !== 'string' || oneLine(b.source) === '') throw new Error(`${where}: needs name and source`);
    const tier = b.tier ?? 'main';
    if (tier !== 'main' && tier !== 'extended') throw new Error(`${where}: tier '${tier}' (main or extended)`);
    const exact = b.name.startsWith('=');
    out[tier][exact ? 'exact' : 'suffix'].push(exact ? b.name.slice(1) : b.name);
  });
  return out;
}

/** flattenGroups turns a list or a map of named groups into [{group, domains}] in the data's order. */
function flattenGroups(value) {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return [{ group: null, domains: value }];
  if (typeof value === 'object') return Object.entries(value).map(([group, domains]) => ({ group, domains: domains ?? [] }));
  throw new Error(`unexpected domain collection: ${JSON.stringify(value)}`);
}

/** buildList renders one list file; returns its text and counts for the README table. */
function buildList({ vendor, meta, yamlName, id, kind, sections, extraExact, notes }) {
  const dnb = new Set(doNotBlockNames(vendor.do_not_block));
  const seen = new Set();
  const suffixes = new Set();
  const body = [];
  const dropped = { doNotBlock: [], duplicate: [] };
  let count = 0;

  for (const { group, domains } of sections) {
    const lines = [];
    for (const raw of domains) {
      const d = normalize(raw, `${vendor.id}${group ? `/${group}` : ''}`);
      if (dnb.has(d)) {
        dropped.doNotBlock.push(d);
        continue;
      }
      if (seen.has(d)) {
        dropped.duplicate.push(d);
        continue;
      }
      seen.add(d);
      suffixes.add(d);
      lines.push(d);
    }
    if (lines.length === 0) continue;
    if (group) body.push('', `# group: ${group} (${lines.length})`);
    body.push(...lines);
    count += lines.length;
  }

  const exactNotes = [];
  for (const { label, hosts } of extraExact) {
    if (hosts.length === 0) continue;
    const added = [];
    let covered = 0;
    for (const raw of hosts) {
      const d = normalize(raw, `${vendor.id}/${label}`);
      if (dnb.has(d)) {
        dropped.doNotBlock.push(d);
        continue;
      }
      if (isCoveredBy(d, suffixes)) {
        covered++;
        continue;
      }
      if (seen.has(`=${d}`)) continue;
      seen.add(`=${d}`);
      added.push(`=${d}`);
    }
    exactNotes.push(`${label}: ${hosts.length} host(s), ${covered} already covered by a suffix entry, ${added.length} added as exact entries`);
    if (added.length > 0) body.push('', `# ${label} not covered by the entries above (exact: the name only)`, ...added);
    count += added.length;
  }

  const basis = czechFirst(vendor.basis ?? []).map((b) => basisLine(b, vendor.id));
  const head = [
    '#@hradba-list 1',
    `#@id: ${id}`,
    `#@vendor: ${vendor.id}`,
    `#@vendor-name: ${oneLine(vendor.name)}`,
    ...basis.map((b) => `#@basis: ${b.value}`),
    ...sourceLines(vendor, meta, yamlName).map((s) => `#@source: ${s}`),
    `#@generated: ${meta.generated}`,
    '#',
    `# ${kind === 'extended' ? 'Extended (optional, more collateral damage) block list' : 'Block list'} for ${oneLine(vendor.name)}.`,
    `# ${count} entries. A bare name covers the name and every name below it; '=' marks a name-only entry.`,
    `# Made from ${yamlName} by scripts/gen-blocklists.mjs: change the data there and run the script again.`,
    '#',
    '# Basis notes, in the order of the #@basis lines above:',
    ...basis.map((b, i) => `#   [${i + 1}] ${b.notes.join('; ') || '-'}`),
    '#',
    '# Caveats:',
    '#   - Compiled from public sources (material up to about Aug 2026), not from a vendor statement; check',
    '#     the current FCC Covered List and the NÚKIB notice board before relying on this list.',
    '#   - DNS blocking stops name lookups through this resolver only: direct IP use, other resolvers and',
    '#     DNS over HTTPS bypass it.',
    ...notes.map((n) => `#   - ${oneLine(n)}`),
    ...(vendor.caveats ?? []).map((c) => `#   - ${oneLine(c)}`),
  ];
  const left = [];
  for (const n of exactNotes) left.push(n);
  if (kind === 'main' && (vendor.tlds ?? []).length > 0) {
    left.push(`top-level domains NOT blocked (whole TLDs are out of scope for hradba): ${vendor.tlds.map((t) => `.${t}`).join(', ')}`);
  }
  if (dnb.size > 0) left.push(`never listed (do_not_block, exact names only; names below them may be listed): ${[...dnb].join(', ')}`);
  if (dropped.doNotBlock.length > 0) left.push(`dropped because do_not_block: ${dropped.doNotBlock.join(', ')}`);
  if (dropped.duplicate.length > 0) left.push(`duplicates dropped: ${dropped.duplicate.join(', ')}`);
  if (left.length > 0) head.push('#', '# Left out or covered:', ...left.map((l) => `#   - ${l}`));
  if (count === 0) head.push('#', '# No domain of this vendor is known; the list is empty on purpose so a config can still name it.');
  // hradba refuses an empty list unless it says why, and a list whose '#@end' count does not match (a cut file).
  if (count === 0) head.push('#@empty: no domain of this vendor is known');

  const entries = body.length === 0 ? '' : `\n${body.join('\n').replace(/^\n/, '')}\n`;
  return { text: `${head.join('\n')}\n${entries}\n#@end: ${count}\n`, count, basis: vendor.basis ?? [] };
}

const FORMAT_SPEC = `## List format (hradba list, version 1)

A list is UTF-8 text, one item per line, read in one pass, so lists of a million lines load in seconds.

\`\`\`
#@hradba-list 1
#@id: deepseek
#@vendor: deepseek
#@vendor-name: DeepSeek
#@basis: Government of the Czech Republic | 2025-07-09 | Ban on the use of DeepSeek in state administration | https://example.org/decision
#@source: vendors.yaml (vendor 'deepseek', meta.generated 2026-11-26)
#@generated: 2026-11-26
# comment
deepseek.com
=api.example.org   # exact entry, inline comment
\`\`\`

- The first non-empty line is \`#@hradba-list 1\` (magic and format version). Another version is refused.
- Header directives \`#@name: value\` come before the first entry:
  - \`#@id\` (required): stable list id used in config, logs and reports; lower-case letters, digits, \`.\`, \`_\`, \`-\`.
  - \`#@vendor\` (required): vendor id, same characters. \`#@vendor-name\`: human name (defaults to the vendor id).
  - \`#@basis\` (required, repeatable, most relevant first): \`authority | date | title | url\`. The date is
    \`YYYY\`, \`YYYY-MM\` or \`YYYY-MM-DD\`; the url is http(s). The title may contain \`|\`. The first basis is
    the one named in the block log and in the Extended DNS Error text.
  - \`#@source\` (repeatable): where the entries come from. \`#@generated\`: when the list was made.
  - \`#@empty: reason\`: the list has no entry on purpose; any other list that yields no entry fails to load.
  - Unknown directives and directives after the first entry are reported as bad lines.
- The last line is the trailer \`#@end: N\`, N the number of entry lines. A list whose trailer does not match
  (a cut or spliced file) fails to load; a list without one loads with a warning, and a reload that replaces a
  list ending with a trailer by one without is refused (SIGUSR2 forces it). Replace a list by rename, never by
  writing it in place.
- \`#\` starts a comment, at the start of a line or after an entry.
- An entry is one domain name per line. It covers the name and every name below it (\`deepseek.com\` blocks
  \`chat.deepseek.com\`). A leading \`=\` makes it cover the name only.
- Names are compared lower-case, without the trailing dot; Unicode names are converted to punycode
  (\`příklad.cz\` → \`xn--pklad-zsa96e.cz\`). Labels hold letters, digits, \`-\` and \`_\` (service labels), at most
  63 octets; a name at most 253; the last label may not be all digits (that is an IP address). No wildcards:
  a plain entry already covers every subdomain.
- The most specific entry wins: an entry for the full name (exact before suffix), else the longest suffix.
  When two lists hold the same entry, the list named first in the config is the one reported.
- A line that cannot be read is reported as \`file:line: reason\` and skipped; more than \`maxBadLines\` bad
  lines, or a missing \`#@id\`, \`#@vendor\` or \`#@basis\`, make the whole list fail to load (a reload then
  keeps the running policy).

Other formats hradba reads (set \`format:\` in the config entry, or let it detect the format):

- **plain**: one domain per line, \`#\` comments; entries cover subdomains (\`match: exact\` changes that);
  \`*.name\` is the name and every name below it. The config entry must give \`id\`, \`vendor\` and \`basis\` (and
  may give \`vendorName\`). A last line without a newline is reported and not used (the file may be cut).
- **wildcard**: \`*.name\` per line (hagezi \`wildcard/\` lists): the name and every name below it.
- **adblock**: AdGuard DNS syntax: \`||name^\` the name and below, \`|name^|\` the name only, \`@@\` exceptions,
  \`$important\`; rules that mean nothing to DNS are skipped and counted.
- **rpz**: an RPZ zone file: QNAME triggers, \`CNAME .\` / \`*.\` / \`rpz-drop.\` block, \`rpz-passthru.\` allows.
- **hosts**: \`0.0.0.0 name [name...]\`, \`127.0.0.1 name\`, \`:: name\`; the address must be an IP address and is
  otherwise ignored (hradba answers per \`sinkhole.mode\`). An address in the name column is a bad line; a line
  that maps a name to a real address (\`192.168.1.10 nas.example.lan\`) is skipped with a warning unless the
  config entry says \`hostsMappings: block\`. \`localhost\`, \`localhost.localdomain\`,
  \`broadcasthost\`, \`local\` and \`ip6-*\` names are skipped. Entries are exact unless \`match: suffix\`. The
  config entry must give \`id\`, \`vendor\` and \`basis\`.
- Detection: a first non-empty line \`#@hradba-list\` means hradba; else a first data line starting with an IP
  address means hosts; else plain.
`;

/** readme renders blocklists/README.md: the table of shipped lists and the format spec. */
function readme(rows, meta, yamlName, skippedTlds) {
  const esc = (s) => oneLine(s).replace(/\|/g, '\\|');
  const table = [
    '| list | vendor | entries | basis (first: authority, date) | enabled by default |',
    '|---|---|---:|---|---|',
    ...rows.map((r) => {
      const b = czechFirst(r.basis)[0];
      const basis = b === undefined ? '' : `${esc(b.authority)}, ${esc(b.date)}`;
      return `| \`${r.id}.list\` | ${esc(r.vendorName)} | ${r.count} | ${basis} | ${r.enabled ? 'yes' : 'no'} |`;
    }),
  ];
  return `# Shipped block lists

These lists are made from \`${yamlName}\` (meta.generated ${meta.generated}) by \`scripts/gen-blocklists.mjs\`.
Do not edit them by hand: change the data and run \`node scripts/gen-blocklists.mjs [path/to/vendors.yaml]\`.
Each list names its vendor and every legal basis in its header; Czech authorities come first, and the first
basis is the one quoted in the block log.

${table.join('\n')}

- Enabled by default: the lists of vendors with a Czech legal basis for a ban or a binding warning
  (DeepSeek, Huawei, ZTE, TikTok). Every other list, and every \`-extended\` list (optional tier: cloud, CDN and
  consumer-service domains with more collateral damage), ships disabled; enable it in \`config/hradba.yaml\`.
- \`pacnet-comnet.list\` is empty on purpose: no domain of that vendor is known.
- Names that the footprint audit (\`hradba audit\`) finds are decided in the data: \`footprint.block\` lists a name
  (in the main or the extended tier, with its source), \`footprint.exclude\` leaves it out with a reason. Regional
  and TLD twins of one service (\`myhuaweicloud.com\`, \`.cn\`, \`.eu\`, \`.ru\`) sit in one tier.
- Left out everywhere: names marked \`do_not_block\` in the data (shared clouds and CDNs, other businesses), and
  whole top-level domains${skippedTlds.length > 0 ? ` (${skippedTlds.join(', ')})` : ''}.
- These lists come from public sources, checked up to about Aug 2026. Check the current FCC Covered List and
  the NÚKIB notice board before relying on them, and read each list's caveats.

${FORMAT_SPEC}`;
}

/** main reads vendors.yaml and writes every list plus the README. */
export function main(argv = process.argv.slice(2)) {
  const yamlPath = argv[0] === undefined ? VENDORS_YAML : path.resolve(repoRoot, argv[0]);
  const data = parse(readFileSync(yamlPath, 'utf8'));
  const meta = data.meta ?? {};
  if (!meta.generated) throw new Error(`${yamlPath}: meta.generated missing`);
  const yamlName = path.basename(yamlPath);
  const outDir = argv[1] === undefined ? path.join(repoRoot, 'blocklists') : path.resolve(repoRoot, argv[1]);
  mkdirSync(outDir, { recursive: true });

  const rows = [];
  const skippedTlds = [];
  for (const vendor of data.vendors ?? []) {
    if (!vendor.id || !Array.isArray(vendor.basis) || vendor.basis.length === 0) {
      throw new Error(`vendor ${vendor.id ?? '?'}: id and at least one basis are required`);
    }
    // Groups, when present, are the same domains in named sections; anything in `domains` outside them follows.
    const grouped = flattenGroups(vendor.groups);
    const inGroups = new Set(grouped.flatMap((g) => g.domains.map((d) => String(d).toLowerCase())));
    const ungrouped = (vendor.domains ?? []).filter((d) => !inGroups.has(String(d).toLowerCase()));
    const sections = grouped.length > 0 ? [...grouped] : [{ group: null, domains: vendor.domains ?? [] }];
    if (grouped.length > 0 && ungrouped.length > 0) sections.push({ group: 'other', domains: ungrouped });
    const decided = footprintBlocks(vendor);
    if (decided.main.suffix.length > 0) sections.push({ group: FOOTPRINT_GROUP, domains: decided.main.suffix });
    const inDomains = new Set((vendor.domains ?? []).map((d) => String(d).toLowerCase()));
    for (const d of inGroups) if (!inDomains.has(d)) console.warn(`${vendor.id}: group entry '${d}' is not in domains (listed anyway)`);
    const main = buildList({
      vendor,
      meta,
      yamlName,
      id: vendor.id,
      kind: 'main',
      sections,
      extraExact: [
        { label: 'exact_hosts', hosts: vendor.exact_hosts ?? [] },
        { label: 'telemetry_fqdns', hosts: vendor.telemetry_fqdns ?? [] },
        { label: 'footprint.block', hosts: decided.main.exact },
      ],
      notes: [],
    });
    writeFileSync(path.join(outDir, `${vendor.id}.list`), main.text);
    rows.push({ id: vendor.id, vendorName: vendor.name, count: main.count, basis: vendor.basis, enabled: ENABLED_BY_DEFAULT.has(vendor.id) });
    for (const t of vendor.tlds ?? []) skippedTlds.push(`.${t} (${vendor.id})`);

    const extended = flattenGroups(vendor.domains_extended);
    if (decided.extended.suffix.length > 0) extended.push({ group: FOOTPRINT_GROUP, domains: decided.extended.suffix });
    if (extended.length > 0 || decided.extended.exact.length > 0) {
      const ext = buildList({
        vendor,
        meta,
        yamlName,
        id: `${vendor.id}-extended`,
        kind: 'extended',
        sections: extended,
        extraExact: [{ label: 'footprint.block', hosts: decided.extended.exact }],
        notes: [vendor.domains_extended_note ?? 'Optional tier: more collateral damage than the main list.'],
      });
      writeFileSync(path.join(outDir, `${vendor.id}-extended.list`), ext.text);
      rows.push({ id: `${vendor.id}-extended`, vendorName: vendor.name, count: ext.count, basis: vendor.basis, enabled: false });
    }
  }
  writeFileSync(path.join(outDir, 'README.md'), readme(rows, meta, yamlName, skippedTlds));
  return rows;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of main()) console.log(`${`${r.id}.list`.padEnd(28)} ${String(r.count).padStart(5)} entries${r.enabled ? '  (enabled by default)' : ''}`);
}
