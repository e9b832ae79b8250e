/**
 * AdBlock-style domain rules, the subset a DNS resolver can honour: `||example.org^` blocks the name and every
 * name below it, `@@||example.org^` is an exception. Cosmetic, path and option rules mean nothing to DNS and
 * are rejected with their line, never silently dropped.
 */
import { normalizeDomain } from '../domain-name.js';

/** One rule as read. */
export interface AdblockEntry {
  readonly domain: string;
  readonly allow: boolean;
  readonly line: number;
}

/** A domain rule: optional '@@', '||', the name, then '^' and nothing else (a '$important' option is accepted as meaningless here). */
const RULE = /^(@@)?\|\|([^/^$|*]+)\^(?:\$important)?$/;

/** parseAdblock reads the lines of an AdBlock filter list; every unusable line is reported. */
export function parseAdblock(lines: readonly string[], problem: (line: number, message: string) => void): AdblockEntry[] {
  const out: AdblockEntry[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const lineNo = i + 1;
    // '!' comments and the '[Adblock Plus 2.0]' header.
    if (line.length === 0 || line.startsWith('!') || (line.startsWith('[') && line.endsWith(']'))) return;
    const m = RULE.exec(line);
    if (m === null) {
      problem(lineNo, `not a domain rule ('||name^' or '@@||name^'): '${line.length > 80 ? `${line.slice(0, 77)}...` : line}'`);
      return;
    }
    const d = normalizeDomain(m[2] ?? '');
    if (typeof d !== 'string') {
      problem(lineNo, d.error);
      return;
    }
    out.push({ domain: d, allow: m[1] === '@@', line: lineNo });
  });
  return out;
}
