/**
 * AdBlock / AdGuard DNS filter rules, the part a DNS resolver can honour, read as AdGuard Home reads them:
 * `||name^` (also `||name^|`) blocks the name and every name below it; `|name^`, `|name^|` the name only;
 * `@@` makes a rule an exception, which beats a block of the same name; `$important` makes a block beat
 * exceptions. Rules for browsers (cosmetic, paths, modifiers such as `$third-party`) mean nothing to DNS:
 * they are skipped and counted. DNS modifiers hradba does not implement (`$client`, `$dnstype`...) are
 * reported: honouring half of such a rule would make it mean more or less than its publisher wrote.
 */
import { normalizeDomain } from '../domain-name.js';
import { LineCursor, quoted, type ReaderContext } from './line-cursor.js';

/** AdGuard DNS modifiers whose meaning hradba does not implement: such a rule is a bad line, not used. */
const DNS_MODIFIERS = new Set(['client', 'ctag', 'denyallow', 'dnstype', 'dnsrewrite', 'badfilter']);

/** A rule as read: the name, how it matches, and its flags. */
interface Rule {
  readonly domain: string;
  readonly exact: boolean;
  readonly allow: boolean;
  readonly important: boolean;
}

/** What a line is: a rule, nothing (blank, comment), or a problem with its kind. */
type LineResult = Rule | null | { readonly message: string; readonly kind: 'bad' | 'skipped' };

/** A cosmetic (element hiding, CSS, scriptlet) rule: `##`, `#@#`, `#?#`, `#$#`, `#%#` or an HTML filter `$$`. */
const COSMETIC = /#[@?$%]{0,2}#|\$\$/;

/** parseRule reads one trimmed line. */
function parseRule(line: string): LineResult {
  const c0 = line.charCodeAt(0);
  // '!' comments, '#' comments (not '##' cosmetic rules), and the '[Adblock Plus 2.0]' header.
  if (c0 === 0x21 /* ! */) return null;
  if (c0 === 0x5b /* [ */ && line.endsWith(']')) return null;
  if (COSMETIC.test(line)) return { message: `cosmetic rule skipped (means nothing to DNS): ${quoted(line)}`, kind: 'skipped' };
  if (c0 === 0x23 /* # */) return null;
  let s = line;
  let allow = false;
  if (s.startsWith('@@')) {
    allow = true;
    s = s.slice(2);
  }
  let important = false;
  const dollar = s.lastIndexOf('$');
  if (dollar >= 0 && !(s.startsWith('/') && s.endsWith('/'))) {
    for (const raw of s.slice(dollar + 1).split(',')) {
      const mod = raw.trim().toLowerCase();
      const name = (mod.startsWith('~') ? mod.slice(1) : mod).split('=')[0] ?? '';
      if (name === 'important') {
        important = true;
        continue;
      }
      if (DNS_MODIFIERS.has(name)) return { message: `unsupported DNS modifier '$${name}' (the rule is not used): ${quoted(line)}`, kind: 'bad' };
      return { message: `browser modifier skipped ('$${name}' means nothing to DNS): ${quoted(line)}`, kind: 'skipped' };
    }
    s = s.slice(0, dollar);
  }
  if (s.startsWith('/') && s.endsWith('/') && s.length > 1) return { message: `regular expression rule not supported: ${quoted(line)}`, kind: 'bad' };
  let exact: boolean;
  if (s.startsWith('||')) {
    exact = false;
    s = s.slice(2);
  } else if (s.startsWith('|')) {
    exact = true;
    s = s.slice(1);
  } else {
    return { message: `not a domain rule ('||name^', '|name^|' or '@@||name^'): ${quoted(line)}`, kind: 'bad' };
  }
  // The end of the name: '^' (a separator), optionally then '|' (the end of the address); or '|' alone.
  if (s.endsWith('|')) s = s.slice(0, -1);
  else if (!s.endsWith('^')) {
    if (s.includes('/')) return { message: `path rule skipped (means nothing to DNS): ${quoted(line)}`, kind: 'skipped' };
    return { message: `no '^' after the name (a prefix of any host, not a domain): ${quoted(line)}`, kind: 'bad' };
  }
  if (s.endsWith('^')) s = s.slice(0, -1);
  if (s.includes('/') || s.includes('^')) return { message: `path rule skipped (means nothing to DNS): ${quoted(line)}`, kind: 'skipped' };
  const d = normalizeDomain(s);
  if (typeof d !== 'string') return { message: d.error, kind: 'bad' };
  return { domain: d, exact, allow, important };
}

/** keyOf names an entry's place in the trie: exact entries and suffix entries of one name are apart. */
function keyOf(domain: string, exact: boolean): string {
  return exact ? `=${domain}` : domain;
}

/** The exceptions of a list and its important blocks, found before the entries are read. */
interface Precedence {
  /** Exception key -> it is itself $important. */
  readonly exceptions: Map<string, boolean>;
  /** Keys of $important blocks. */
  readonly important: Set<string>;
}

/**
 * precedenceOf looks only at the lines that hold '@@' or 'important' (found by indexOf, not by reading every
 * line), so a block read before its exception, or an exception before its important block, is decided right.
 */
function precedenceOf(text: string): Precedence | null {
  const exceptions = new Map<string, boolean>();
  const important = new Set<string>();
  for (const marker of ['@@', 'important']) {
    let at = text.indexOf(marker);
    while (at >= 0) {
      const start = text.lastIndexOf('\n', at) + 1;
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      const r = parseRule(text.slice(start, end).trim());
      if (r !== null && 'domain' in r) {
        if (r.allow) exceptions.set(keyOf(r.domain, r.exact), r.important);
        else if (r.important) important.add(keyOf(r.domain, r.exact));
      }
      at = text.indexOf(marker, end);
    }
  }
  return exceptions.size === 0 ? null : { exceptions, important };
}

/** overridden: an exception loses to an important block of its name or of a name above it (unless it is important too). */
function overridden(p: Precedence, r: Rule): boolean {
  if (r.important) return false;
  if (p.important.has(keyOf(r.domain, r.exact)) || p.important.has(keyOf(r.domain, !r.exact))) return true;
  for (let dot = r.domain.indexOf('.'); dot >= 0; dot = r.domain.indexOf('.', dot + 1)) {
    if (p.important.has(r.domain.slice(dot + 1))) return true;
  }
  return false;
}

/** readAdblock reads an AdBlock / AdGuard DNS filter list in one pass (plus a look at its exception lines). */
export function readAdblock(text: string, ctx: ReaderContext): void {
  const { emit, problem } = ctx;
  const p = precedenceOf(text);
  const lines = new LineCursor(text, problem);
  for (let raw = lines.next(); raw !== null; raw = lines.next()) {
    const lineNo = lines.lineNo;
    // Most lines of a big DNS filter are '||name^': straight to the name check.
    const plain = p === null && raw.length > 3 && raw.charCodeAt(0) === 0x7c && raw.charCodeAt(1) === 0x7c && raw.charCodeAt(raw.length - 1) === 0x5e;
    if (plain) {
      const d = normalizeDomain(raw.slice(2, -1));
      if (typeof d === 'string') {
        emit(d, false, lineNo);
        continue;
      }
    }
    const line = raw.trim();
    if (line.length === 0) continue;
    const r = parseRule(line);
    if (r === null) continue;
    if (!('domain' in r)) {
      problem(lineNo, r.message, r.kind);
      continue;
    }
    // Where a block and an exception of one name meet, only the one that wins is emitted, where it stands.
    if (p !== null && r.allow && overridden(p, r)) continue;
    if (p !== null && !r.allow) {
      const exception = p.exceptions.get(keyOf(r.domain, r.exact));
      // An important exception beats every block; a plain one beats a plain block unless an important block covers it.
      if (exception === true || (exception === false && !r.important && !overridden(p, { ...r, allow: true, important: false }))) continue;
    }
    emit(r.domain, r.exact, lineNo, r.allow || undefined);
  }
}
