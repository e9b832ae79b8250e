/**
 * Response Policy Zone files (draft-vixie-dnsop-dns-rpz): QNAME triggers only. Actions: `CNAME .` (NXDOMAIN),
 * `CNAME *.` (NODATA) and `CNAME rpz-drop.` block (hradba answers with its sinkhole mode), `CNAME
 * rpz-passthru.` allows. A wildcard owner `*.example.org` covers the names below example.org; hradba's entries
 * cover a name and its subdomains, so a wildcard without its apex blocks the apex as well (stricter, never
 * weaker). IP, NSDNAME, NSIP and client-IP triggers and local-data actions are reported as unsupported.
 * Read in one pass, line by line: a 'name' and '*.name' pair with one action (as feeds write them, one after
 * the other) becomes one entry through a one-record look-behind, not a map of every owner.
 */
import { normalizeDomain } from '../domain-name.js';
import { LineCursor, type ReaderContext } from './line-cursor.js';

/** The common record of a feed, `owner [ttl] [class] CNAME target`, read with one expression. */
const SIMPLE = /^([^\s;()"$]+)[ \t]+(?:\d+[smhdw]?[ \t]+)?(?:(?:IN|CH|HS)[ \t]+)?(?:\d+[smhdw]?[ \t]+)?CNAME[ \t]+([^\s;()"]+)[ \t\r]*$/i;

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

/** readRpz reads an RPZ zone file; every trigger or action it cannot honour is reported. */
export function readRpz(text: string, ctx: ReaderContext): void {
  const { problem } = ctx;
  let origin: string | null = null;
  let lastOwner: string | null = null;
  let depth = 0;
  // The last trigger, held back one record so a following '*.name' of the same action merges with 'name'
  // (plain variables, not an object per record).
  let pDomain = '';
  let pExact = false;
  let pAllow = false;
  let pLine = 0;
  const flush = (): void => {
    if (pLine > 0) ctx.emit(pDomain, pExact, pLine, pAllow || undefined);
    pLine = 0;
  };
  const add = (domain: string, exact: boolean, allow: boolean, line: number): void => {
    // 'name' and '*.name' with one action: the name and every name below it, at the first of their lines.
    if (pLine > 0 && pDomain === domain && pAllow === allow && pExact !== exact) {
      pExact = false;
      return;
    }
    flush();
    // A wildcard alone covers its apex as well (hradba entries cover a name with its subdomains).
    pDomain = domain;
    pExact = exact;
    pAllow = allow;
    pLine = line;
  };

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

  /** trigger turns an owner and a CNAME target into an entry, or reports why it cannot. */
  const trigger = (owner: string, name: string, target: string, lineNo: number): void => {
    if (name.includes('rpz-')) {
      const labels = name.split('.');
      const t = UNSUPPORTED_TRIGGERS.find((u) => labels.includes(u));
      if (t !== undefined) {
        problem(lineNo, `unsupported trigger '${t}' (hradba implements QNAME triggers only): ${owner}`);
        return;
      }
    }
    const lower = target.toLowerCase();
    let allow: boolean;
    if (lower === '.' || lower === '*.' || lower === 'rpz-drop.') allow = false;
    else if (lower === 'rpz-passthru.') allow = true;
    else {
      problem(lineNo, `unsupported action: CNAME ${target} (a local redirect; hradba answers with its sinkhole mode instead)`);
      return;
    }
    const wildcard = name.startsWith('*.');
    const base = wildcard ? name.slice(2) : name;
    if (base.length === 0 || base.includes('*') || name === '*') {
      problem(lineNo, `'*' is allowed only as the leftmost label of an owner name: ${owner}`);
      return;
    }
    const d = normalizeDomain(base);
    if (typeof d !== 'string') {
      problem(lineNo, d.error);
      return;
    }
    add(d, !wildcard, allow, lineNo);
  };

  const lines = new LineCursor(text, problem);
  for (let end = lines.nextEnd(); end >= 0; end = lines.nextEnd()) {
    const lineNo = lines.lineNo;
    const start = lines.lineStart;
    if (depth === 0) {
      // The shape of nearly every line of a feed, 'name CNAME .' with single spaces: read in place, no expression.
      const sp = text.indexOf(' ', start);
      if (sp > start && sp + 7 <= end && text.charCodeAt(sp + 1) === 0x43 /* C */ && text.charCodeAt(sp + 6) === 0x20 && text.startsWith('NAME', sp + 2)) {
        // 'CNAME .' is looked at without cutting the target out of the line.
        const dotOnly = end === sp + 8 && text.charCodeAt(sp + 7) === 0x2e;
        const target = dotOnly ? '.' : text.slice(sp + 7, end);
        const action = dotOnly || target === '*.' || target === 'rpz-drop.' ? 0 : target === 'rpz-passthru.' ? 1 : -1;
        const c0 = text.charCodeAt(start);
        // A relative owner that is no directive or apex; anything odd in it fails normalizeDomain and takes the long way.
        if (action >= 0 && c0 !== 0x24 /* $ */ && c0 !== 0x40 /* @ */ && text.charCodeAt(sp - 1) !== 0x2e /* . */) {
          const wildcard = c0 === 0x2a /* * */ && text.charCodeAt(start + 1) === 0x2e;
          const base = text.slice(wildcard ? start + 2 : start, sp);
          // A trigger other than QNAME is marked by its last label ('32.1.2.0.192.rpz-ip'): those take the long way.
          if (!base.startsWith('rpz-', base.lastIndexOf('.') + 1)) {
            const d = normalizeDomain(base);
            if (typeof d === 'string') {
              lastOwner = wildcard ? `*.${base}` : base;
              add(d, !wildcard, action === 1, lineNo);
              continue;
            }
          }
        }
      }
    }
    const raw = text.slice(start, end);
    if (depth === 0) {
      const m = SIMPLE.exec(raw);
      if (m !== null) {
        const owner = m[1] ?? '';
        const name = relative(owner, lineNo);
        lastOwner = owner;
        if (name === null) continue;
        if (name === '') {
          problem(lineNo, 'CNAME at the zone apex is not a policy trigger');
          continue;
        }
        trigger(owner, name, m[2] ?? '', lineNo);
        continue;
      }
    }
    const startsBlank = raw.length > 0 && (raw.charCodeAt(0) === 0x20 || raw.charCodeAt(0) === 0x09);
    let line = stripComment(raw);
    // Records spread over lines in parentheses (the SOA): only the first line carries the owner and type.
    let open = 0;
    let close = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 0x28) open++;
      else if (c === 0x29) close++;
    }
    const inside = depth > 0;
    depth += open - close;
    if (inside) continue;
    if (open + close > 0) line = line.replace(/[()]/g, ' ');
    line = line.trim();
    if (line.length === 0) continue;
    const tokens = line.split(/\s+/);
    const first = tokens[0] ?? '';
    if (first === '$ORIGIN') {
      const o = tokens[1] ?? '';
      if (!o.endsWith('.')) problem(lineNo, `$ORIGIN must be an absolute name ending in '.' (got '${o}')`);
      else origin = o === '.' ? '' : o.slice(0, -1).toLowerCase();
      continue;
    }
    if (first === '$TTL') continue;
    if (first.startsWith('$')) {
      problem(lineNo, `unsupported directive ${first}`);
      continue;
    }
    let owner: string;
    let rest: string[];
    if (startsBlank) {
      if (lastOwner === null) {
        problem(lineNo, 'record without an owner name');
        continue;
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
      continue;
    }
    const name = relative(owner, lineNo);
    lastOwner = owner;
    if (name === null) continue;
    if (name === '') {
      // Apex records (NS, SOA) are the zone's own furniture.
      if (type !== 'NS') problem(lineNo, `${type} at the zone apex is not a policy trigger`);
      continue;
    }
    if (name.includes('rpz-')) {
      const labels = name.split('.');
      const t = UNSUPPORTED_TRIGGERS.find((u) => labels.includes(u));
      if (t !== undefined) {
        problem(lineNo, `unsupported trigger '${t}' (hradba implements QNAME triggers only): ${owner}`);
        continue;
      }
    }
    if (type !== 'CNAME') {
      problem(lineNo, `unsupported action: ${type} local data (hradba implements CNAME ., CNAME *., rpz-passthru. and rpz-drop.)`);
      continue;
    }
    trigger(owner, name, rdata[0] ?? '', lineNo);
  }
  flush();
}
