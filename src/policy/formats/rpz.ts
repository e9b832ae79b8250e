/**
 * Response Policy Zone files (draft-vixie-dnsop-dns-rpz): QNAME triggers only. Actions: `CNAME .` (NXDOMAIN),
 * `CNAME *.` (NODATA) and `CNAME rpz-drop.` block (hradba answers with its sinkhole mode), `CNAME
 * rpz-passthru.` allows. A wildcard owner `*.example.org` covers the names below example.org; hradba's entries
 * cover a name and its subdomains, so a wildcard without its apex blocks the apex as well (stricter, never
 * weaker). IP, NSDNAME, NSIP and client-IP triggers and local-data actions are reported as unsupported.
 */
import { normalizeDomain } from '../domain-name.js';

/** One trigger as read. */
export interface RpzEntry {
  readonly domain: string;
  readonly exact: boolean;
  readonly allow: boolean;
  readonly line: number;
}

/** Trigger labels hradba does not implement: each names a kind of trigger other than QNAME. */
const UNSUPPORTED_TRIGGERS = ['rpz-ip', 'rpz-nsdname', 'rpz-nsip', 'rpz-client-ip'] as const;

const CLASSES = new Set(['IN', 'CH', 'HS']);

/** Removes a `;` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) return line.slice(0, i);
  }
  return line;
}

/** parseRpz reads an RPZ zone file's lines; every trigger or action it cannot honour is reported. */
export function parseRpz(lines: readonly string[], problem: (line: number, message: string) => void): RpzEntry[] {
  let origin: string | null = null;
  let lastOwner: string | null = null;
  let depth = 0;
  // Owner names seen as exact and as wildcard, to merge 'name' + '*.name' into one suffix entry.
  const triggers = new Map<string, { exact?: RpzEntry; wildcard?: RpzEntry }>();

  const relative = (owner: string, lineNo: number): string | null => {
    if (owner === '@') return '';
    if (!owner.endsWith('.')) return owner.toLowerCase();
    const abs = owner.slice(0, -1).toLowerCase();
    if (origin === null) {
      problem(lineNo, `absolute owner '${owner}' before any $ORIGIN or SOA: cannot tell the zone's name`);
      return null;
    }
    if (abs === origin) return '';
    if (!abs.endsWith(`.${origin}`)) {
      problem(lineNo, `owner '${owner}' is outside the zone ${origin}.`);
      return null;
    }
    return abs.slice(0, -(origin.length + 1));
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const startsBlank = /^[ \t]/.test(raw);
    let text = stripComment(raw);
    // Records spread over lines in parentheses (the SOA): only the first line carries the owner and type.
    const open = (text.match(/\(/g) ?? []).length;
    const close = (text.match(/\)/g) ?? []).length;
    const inside = depth > 0;
    depth += open - close;
    if (inside) return;
    text = text.replace(/[()]/g, ' ').trim();
    if (text.length === 0) return;
    const tokens = text.split(/\s+/);
    const first = tokens[0] ?? '';
    if (first === '$ORIGIN') {
      const o = tokens[1] ?? '';
      if (!o.endsWith('.')) problem(lineNo, `$ORIGIN must be an absolute name ending in '.' (got '${o}')`);
      else origin = o === '.' ? '' : o.slice(0, -1).toLowerCase();
      return;
    }
    if (first === '$TTL') return;
    if (first.startsWith('$')) {
      problem(lineNo, `unsupported directive ${first}`);
      return;
    }
    let owner: string;
    let rest: string[];
    if (startsBlank) {
      if (lastOwner === null) {
        problem(lineNo, 'record without an owner name');
        return;
      }
      owner = lastOwner;
      rest = tokens;
    } else {
      owner = first;
      rest = tokens.slice(1);
    }
    // Skip TTL and class in either order.
    while (rest.length > 0 && (/^\d+[smhdw]?$/i.test(rest[0] ?? '') || CLASSES.has((rest[0] ?? '').toUpperCase()))) rest = rest.slice(1);
    const type = (rest[0] ?? '').toUpperCase();
    const rdata = rest.slice(1);
    if (type === 'SOA') {
      // The SOA's owner names the zone when no $ORIGIN did.
      if (origin === null && owner.endsWith('.')) origin = owner === '.' ? '' : owner.slice(0, -1).toLowerCase();
      lastOwner = owner;
      return;
    }
    const name = relative(owner, lineNo);
    lastOwner = owner;
    if (name === null) return;
    if (name === '') {
      // Apex records (NS, SOA) are the zone's own furniture.
      if (type !== 'NS') problem(lineNo, `${type} at the zone apex is not a policy trigger`);
      return;
    }
    const labels = name.split('.');
    const trigger = UNSUPPORTED_TRIGGERS.find((t) => labels.includes(t));
    if (trigger !== undefined) {
      problem(lineNo, `unsupported trigger '${trigger}' (hradba implements QNAME triggers only): ${owner}`);
      return;
    }
    if (type !== 'CNAME') {
      problem(lineNo, `unsupported action: ${type} local data (hradba implements CNAME ., CNAME *., rpz-passthru. and rpz-drop.)`);
      return;
    }
    const target = (rdata[0] ?? '').toLowerCase();
    let allow: boolean;
    if (target === '.' || target === '*.' || target === 'rpz-drop.') allow = false;
    else if (target === 'rpz-passthru.') allow = true;
    else {
      problem(lineNo, `unsupported action: CNAME ${rdata[0] ?? ''} (a local redirect; hradba answers with its sinkhole mode instead)`);
      return;
    }
    const wildcard = labels[0] === '*';
    const base = wildcard ? labels.slice(1).join('.') : name;
    if (base.length === 0 || labels.slice(wildcard ? 1 : 0).includes('*')) {
      problem(lineNo, `'*' is allowed only as the leftmost label of an owner name: ${owner}`);
      return;
    }
    const d = normalizeDomain(base);
    if (typeof d !== 'string') {
      problem(lineNo, d.error);
      return;
    }
    const slot = triggers.get(d) ?? {};
    const entry: RpzEntry = { domain: d, exact: !wildcard, allow, line: lineNo };
    if (wildcard) slot.wildcard ??= entry;
    else slot.exact ??= entry;
    triggers.set(d, slot);
  });

  const out: RpzEntry[] = [];
  for (const { exact, wildcard } of triggers.values()) {
    if (wildcard !== undefined && (exact === undefined || exact.allow === wildcard.allow)) {
      // 'name' and '*.name' with one action, or a wildcard alone: the name and every name below it.
      out.push({ ...wildcard, exact: false, line: exact === undefined ? wildcard.line : Math.min(exact.line, wildcard.line) });
    } else {
      if (exact !== undefined) out.push(exact);
      if (wildcard !== undefined) out.push({ ...wildcard, exact: false });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}
