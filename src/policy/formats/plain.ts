/**
 * Plain domain lists (one name a line, `#` comments) and wildcard lists (hagezi `wildcard/`, read by Blocky):
 * `*.name` is the name and every name below it, in both.
 */
import { normalizeDomain } from '../domain-name.js';
import { LineCursor, type ReaderContext } from './line-cursor.js';

/** readPlain reads a plain or wildcard list; `exact` says how a bare name matches (a `*.` name is always a suffix). */
export function readPlain(text: string, exact: boolean, ctx: ReaderContext): void {
  const { emit, problem } = ctx;
  const lines = new LineCursor(text, problem);
  for (let raw = lines.next(); raw !== null; raw = lines.next()) {
    const hash = raw.indexOf('#');
    let data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (data.length === 0) continue;
    let lineExact = exact;
    if (data.charCodeAt(0) === 0x2a /* * */ && data.charCodeAt(1) === 0x2e /* . */) {
      data = data.slice(2);
      lineExact = false;
    }
    const d = normalizeDomain(data);
    if (typeof d === 'string') emit(d, lineExact, lines.lineNo);
    else problem(lines.lineNo, d.error);
  }
}
