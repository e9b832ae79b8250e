/**
 * hradba's list format, version 1 (spec in blocklists/README.md):
 *
 *   #@hradba-list 1                      first non-empty line: magic and format version
 *   #@id: deepseek                       header directives, before the first entry
 *   #@vendor: deepseek
 *   #@vendor-name: DeepSeek
 *   #@basis: authority | date | title | url     repeatable, most relevant first
 *   #@source: ...                        repeatable
 *   #@generated: 2026-11-26
 *   #@empty: reason                      the list has no entry on purpose
 *   # a comment
 *   deepseek.com                         the name and every name below it
 *   =api.example.org  # inline comment   the name only
 *   #@end: 2                             last line: the number of entry lines, so a cut file is refused
 */
import { normalizeDomain } from '../domain-name.js';
import type { Basis } from '../types.js';
import { LineCursor, UNTERMINATED, type ProblemSink, type ReaderContext } from './line-cursor.js';

export const LIST_MAGIC = '#@hradba-list';
export const LIST_FORMAT_VERSION = 1;
/** The trailer directive: `#@end: N`, N the number of entry lines. */
export const TRAILER = '#@end';

export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DATE_PATTERN = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** dataPart drops an inline `# comment` and surrounding blanks from a data line. */
function dataPart(raw: string): string {
  const hash = raw.indexOf('#');
  return (hash < 0 ? raw : raw.slice(0, hash)).trim();
}

/** isBlank is true for the characters trim() would remove at a line's ends in practice (space, tab, CR). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** parseBasis reads `authority | date | title | url`; a title may itself contain '|'. */
export function parseBasis(value: string): Basis | { error: string } {
  const parts = value.split('|').map((p) => p.trim());
  if (parts.length < 4) return { error: `basis needs 'authority | date | title | url', got ${parts.length} field(s)` };
  const authority = parts[0] ?? '';
  const date = parts[1] ?? '';
  const url = parts[parts.length - 1] ?? '';
  const title = parts.slice(2, -1).join(' | ');
  if (authority === '') return { error: 'basis has an empty authority' };
  if (!DATE_PATTERN.test(date)) return { error: `basis date '${date}' is not YYYY, YYYY-MM or YYYY-MM-DD` };
  if (title === '') return { error: 'basis has an empty title' };
  if (!URL.canParse(url) || !/^https?:\/\//i.test(url)) return { error: `basis url '${url}' is not an http(s) URL` };
  return { authority, date, title, url };
}

export interface Header {
  id?: string;
  vendor?: string;
  vendorName?: string;
  basis: Basis[];
  sources: string[];
  generated?: string;
  /** `#@empty: reason`: the list has no entry on purpose. */
  empty?: string;
  /** The list ends with an `#@end: N` trailer (whether or not it matched). */
  sealed?: boolean;
}


/** applyDirective records one `#@name: value` header line. */
function applyDirective(h: Header, name: string, value: string, line: number, problem: ProblemSink): void {
  const once = (key: 'id' | 'vendor' | 'vendorName' | 'generated', label: string): void => {
    if (value === '') problem(line, `'#@${label}' has no value`);
    else if (h[key] !== undefined) problem(line, `duplicate '#@${label}' (the first one is kept)`);
    else h[key] = value;
  };
  switch (name) {
    case 'id':
      if (!ID_PATTERN.test(value)) problem(line, `bad list id '${value}' (lower-case letters, digits, '.', '_', '-')`);
      else once('id', 'id');
      return;
    case 'vendor':
      if (!ID_PATTERN.test(value)) problem(line, `bad vendor id '${value}' (lower-case letters, digits, '.', '_', '-')`);
      else once('vendor', 'vendor');
      return;
    case 'vendor-name':
      once('vendorName', 'vendor-name');
      return;
    case 'generated':
      once('generated', 'generated');
      return;
    case 'basis': {
      const b = parseBasis(value);
      if ('error' in b) problem(line, b.error);
      else h.basis.push(b);
      return;
    }
    case 'empty':
      if (value === '') problem(line, "'#@empty' needs a reason ('#@empty: no domain of this vendor is known')");
      else if (h.empty !== undefined) problem(line, "duplicate '#@empty' (the first one is kept)");
      else h.empty = value;
      return;
    case 'end':
      problem(line, "'#@end' must be the last line, after the entries");
      return;
    case 'source':
      if (value === '') problem(line, "'#@source' has no value");
      else h.sources.push(value);
      return;
    default:
      problem(line, `unknown directive '#@${name}'`);
  }
}

/**
 * readHradba reads a hradba list into its header and entries. `fatal` gets what makes the whole list unusable:
 * a wrong magic or version, and a trailer that does not match (the file was cut or changed).
 */
export function readHradba(text: string, ctx: ReaderContext, fatal: ProblemSink): Header {
  const { emit, problem } = ctx;
  const header: Header = { basis: [], sources: [] };
  let seenMagic = false;
  let inHeader = true;
  /** Entry lines (good and bad), as the trailer counts them. */
  let entryLines = 0;
  let trailer: { line: number; value: string } | undefined;
  let afterTrailer = 0;
  // A last line without its newline is not used, unless it is the trailer (which vouches for the lines above it).
  const lines = new LineCursor(text, undefined, (line, raw) => {
    const m = /^#@end(?::|\s|$)\s*(.*)$/.exec(raw.trim());
    if (m !== null && trailer === undefined) trailer = { line, value: (m[1] ?? '').trim() };
    else problem(line, UNTERMINATED);
  });
  for (let raw = lines.next(); raw !== null; raw = lines.next()) {
    const lineNo = lines.lineNo;
    if (raw.length === 0) continue;
    const c0 = raw.charCodeAt(0);
    // Most lines of a big list are a bare name: those skip the trimming and comment handling below.
    const plainEntry =
      seenMagic && trailer === undefined && c0 !== 0x23 /* # */ && c0 !== 0x3d /* = */ && !isBlank(c0) && !isBlank(raw.charCodeAt(raw.length - 1)) && !raw.includes('#');
    if (plainEntry) {
      inHeader = false;
      entryLines++;
      const d = normalizeDomain(raw);
      if (typeof d === 'string') emit(d, false, lineNo);
      else problem(lineNo, d.error);
      continue;
    }
    const line = raw.trim();
    if (line.length === 0) continue;
    if (trailer !== undefined) {
      afterTrailer ||= lineNo;
      continue;
    }
    if (!seenMagic) {
      seenMagic = true;
      if (!line.startsWith(LIST_MAGIC)) {
        fatal(0, `not a hradba list: the first line must be '${LIST_MAGIC} ${LIST_FORMAT_VERSION}'`);
        // Read on as if it were one, so every other problem shows up in the same run.
      } else {
        const version = line.slice(LIST_MAGIC.length).trim();
        if (version !== String(LIST_FORMAT_VERSION)) {
          fatal(lineNo, `unsupported list format version '${version}' (this hradba reads ${LIST_FORMAT_VERSION})`);
        }
        continue;
      }
    }
    if (line.startsWith('#@')) {
      const m = /^#@([A-Za-z][A-Za-z0-9-]*)(?::|\s|$)\s*(.*)$/.exec(line);
      if (m === null) problem(lineNo, `malformed directive '${line.slice(0, 80)}'`);
      else if (m[1] === 'end') trailer = { line: lineNo, value: (m[2] ?? '').trim() };
      else if (!inHeader) problem(lineNo, `directive '#@${m[1] ?? ''}' after the first entry is ignored`);
      else if (m[1] === 'hradba-list') problem(lineNo, `'${LIST_MAGIC}' must be the first line only`);
      else applyDirective(header, m[1] ?? '', (m[2] ?? '').trim(), lineNo, problem);
      continue;
    }
    if (line.startsWith('#')) continue;
    let data = dataPart(line);
    if (data.length === 0) continue;
    inHeader = false;
    entryLines++;
    let exact = false;
    if (data.startsWith('=')) {
      exact = true;
      data = data.slice(1).trim();
    }
    const d = normalizeDomain(data);
    if (typeof d === 'string') emit(d, exact, lineNo);
    else problem(lineNo, d.error);
  }

  if (trailer === undefined) {
    if (seenMagic) {
      problem(0, `no '${TRAILER}: N' trailer: hradba cannot tell whether the file is whole (lists made by scripts/gen-blocklists.mjs have one)`);
    }
  } else if (!/^\d{1,10}$/.test(trailer.value)) {
    fatal(trailer.line, `'${TRAILER}' needs the number of entry lines (got '${trailer.value.slice(0, 40)}')`);
  } else if (Number(trailer.value) !== entryLines) {
    fatal(
      trailer.line,
      `'${TRAILER}: ${trailer.value}' but the file has ${entryLines} entry line${entryLines === 1 ? '' : 's'}: it was cut or changed; the list is refused`,
    );
  }
  if (trailer !== undefined) header.sealed = true;
  if (afterTrailer > 0) fatal(afterTrailer, `content after the '${TRAILER}' trailer (line ${trailer?.line ?? 0}): two files joined, or a changed file; the list is refused`);
  return header;
}
