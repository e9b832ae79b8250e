/** Reading block lists: hradba's own format, plain domain lists and hosts files, each bad line reported as `file:line`. */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ListConfig, ListFormat } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { normalizeDomain } from './domain-name.js';
import { parseAdblock } from './formats/adblock.js';
import { parsePrefixes, type PrefixListEntry } from './formats/prefixes.js';
import { parseRpz } from './formats/rpz.js';
import type { Basis, ListInfo, ListProblem } from './types.js';

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
 *   # a comment
 *   deepseek.com                         the name and every name below it
 *   =api.example.org  # inline comment   the name only
 */
export const LIST_MAGIC = '#@hradba-list';
export const LIST_FORMAT_VERSION = 1;

/** One entry as read from a list file. */
export interface ListEntry {
  /** Normalised: lower-case punycode, no trailing dot. */
  readonly domain: string;
  readonly exact: boolean;
  /** 1-based line in the file. */
  readonly line: number;
  /** An allow entry (AdBlock '@@', RPZ rpz-passthru.): the name is let through where it is the most specific match. */
  readonly allow?: boolean;
}

/** A parsed list: its provenance, its entries and the lines that could not be used. */
export interface LoadedList {
  readonly info: ListInfo;
  readonly format: ListFormat;
  readonly entries: ListEntry[];
  /** IP prefixes of a 'prefixes' list (answer-IP inspection); empty for name lists. */
  readonly prefixes?: PrefixListEntry[];
  /** Bad lines (warnings while within maxBadLines) and whole-file problems (line 0). */
  readonly problems: ListProblem[];
  /** true when the list cannot be used at all (missing metadata, unsupported version), whatever maxBadLines says. */
  readonly fatal: boolean;
  /** Entries read (duplicates included); equals entries.length unless they went to an `onEntry` callback instead. */
  readonly entryCount: number;
}

/** Receives each entry as it is read, instead of one object per entry in `entries` (for lists of millions). */
export type EntrySink = (domain: string, exact: boolean, line: number, allow?: boolean) => void;

/** Host names every hosts file maps to loopback; they are not vendor names and are skipped without a word. */
const HOSTS_SKIP = new Set(['localhost', 'localhost.localdomain', 'broadcasthost', 'local']);

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DATE_PATTERN = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** isAddress strips an IPv6 zone ('fe80::1%lo0' in macOS hosts files) so node:net can judge the address. */
function isAddress(token: string): boolean {
  const pct = token.indexOf('%');
  return isIP(pct < 0 ? token : token.slice(0, pct)) !== 0;
}

/** firstToken returns the text up to the first space or tab. */
function firstToken(s: string): string {
  const m = /[ \t]/.exec(s);
  return m === null ? s : s.slice(0, m.index);
}

/** detectFormat guesses a list's format: the magic first line means hradba, an address first means hosts, else plain. */
export function detectFormat(text: string): ListFormat {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let firstLine = true;
  // Bounded: every step moves past one line; usually only the first few lines are looked at.
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line.length === 0) continue;
    if (firstLine) {
      firstLine = false;
      if (line.startsWith(LIST_MAGIC)) return 'hradba';
      if (line.startsWith('[Adblock')) return 'adblock';
    }
    // Zone-file directives or an SOA mean an RPZ zone; '||' or '@@' rules an AdBlock list; '!' is its comment.
    if (line.startsWith('$ORIGIN') || line.startsWith('$TTL') || /\sSOA\s/i.test(line)) return 'rpz';
    if (line.startsWith('||') || line.startsWith('@@') || line.startsWith('!')) return 'adblock';
    if (line.startsWith('#')) continue;
    const first = firstToken(line);
    return first.length < line.length && isAddress(first) ? 'hosts' : 'plain';
  }
  return 'plain';
}

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

interface Header {
  id?: string;
  vendor?: string;
  vendorName?: string;
  basis: Basis[];
  sources: string[];
  generated?: string;
}

type Emit = (line: number, message: string) => void;

/** applyDirective records one `#@name: value` header line. */
function applyDirective(h: Header, name: string, value: string, line: number, problem: Emit): void {
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
    case 'source':
      if (value === '') problem(line, "'#@source' has no value");
      else h.sources.push(value);
      return;
    default:
      problem(line, `unknown directive '#@${name}'`);
  }
}

/** Config keys that describe plain and hosts lists only; a hradba list carries its own. */
const METADATA_KEYS = ['id', 'vendor', 'vendorName', 'basis'] as const;

/**
 * parseList parses a list's text in one pass; it never throws, every problem is returned located. With
 * `onEntry`, entries go to the callback and `entries` stays empty: no object per line survives the pass.
 */
export function parseList(text: string, cfg: ListConfig, onEntry?: EntrySink): LoadedList {
  const file = cfg.file;
  const format = cfg.format ?? detectFormat(text);
  const problems: ListProblem[] = [];
  const entries: ListEntry[] = [];
  const prefixes: PrefixListEntry[] = [];
  let entryCount = 0;
  const emit: EntrySink =
    onEntry === undefined
      ? (domain, exact, line, allow) => {
          entryCount++;
          entries.push(allow === true ? { domain, exact, line, allow: true } : { domain, exact, line });
        }
      : (domain, exact, line, allow) => {
          entryCount++;
          onEntry(domain, exact, line, allow);
        };
  let fatal = false;
  const problem: Emit = (line, message) => {
    problems.push({ file, line, message });
  };
  const fatalProblem: Emit = (line, message) => {
    fatal = true;
    problems.push({ file, line, message });
  };

  const header: Header = { basis: [], sources: [] };
  // Lines are cut one at a time (no array of a million strings): each is garbage as soon as it is read.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let pos = bom;
  let lineNo = 0;
  /** nextLine returns the next line (without its '\n'), or null after the last one (as split('\n') would). */
  const nextLine = (): string | null => {
    if (pos > text.length) return null;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const raw = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    return raw;
  };

  if (format === 'hradba') {
    let seenMagic = false;
    let inHeader = true;
    for (let raw = nextLine(); raw !== null; raw = nextLine()) {
      if (raw.length === 0) continue;
      const c0 = raw.charCodeAt(0);
      // Most lines of a big list are a bare name: those skip the trimming and comment handling below.
      const plainEntry =
        seenMagic && c0 !== 0x23 /* # */ && c0 !== 0x3d /* = */ && !isBlank(c0) && !isBlank(raw.charCodeAt(raw.length - 1)) && !raw.includes('#');
      if (!plainEntry) {
        const line = raw.trim();
        if (line.length === 0) continue;
        if (!seenMagic) {
          seenMagic = true;
          if (!line.startsWith(LIST_MAGIC)) {
            fatalProblem(0, `not a hradba list: the first line must be '${LIST_MAGIC} ${LIST_FORMAT_VERSION}'`);
            // Read on as if it were one, so every other problem shows up in the same run.
          } else {
            const version = line.slice(LIST_MAGIC.length).trim();
            if (version !== String(LIST_FORMAT_VERSION)) {
              fatalProblem(lineNo, `unsupported list format version '${version}' (this hradba reads ${LIST_FORMAT_VERSION})`);
            }
            continue;
          }
        }
        if (line.startsWith('#@')) {
          const m = /^#@([A-Za-z][A-Za-z0-9-]*)(?::|\s|$)\s*(.*)$/.exec(line);
          if (m === null) problem(lineNo, `malformed directive '${line}'`);
          else if (!inHeader) problem(lineNo, `directive '#@${m[1] ?? ''}' after the first entry is ignored`);
          else if (m[1] === 'hradba-list') problem(lineNo, `'${LIST_MAGIC}' must be the first line only`);
          else applyDirective(header, m[1] ?? '', (m[2] ?? '').trim(), lineNo, problem);
          continue;
        }
        if (line.startsWith('#')) continue;
        let data = dataPart(line);
        if (data.length === 0) continue;
        inHeader = false;
        let exact = false;
        if (data.startsWith('=')) {
          exact = true;
          data = data.slice(1).trim();
        }
        const d = normalizeDomain(data);
        if (typeof d === 'string') emit(d, exact, lineNo);
        else problem(lineNo, d.error);
        continue;
      }
      inHeader = false;
      const d = normalizeDomain(raw);
      if (typeof d === 'string') emit(d, false, lineNo);
      else problem(lineNo, d.error);
    }
  } else if (format === 'adblock' || format === 'prefixes' || format === 'rpz') {
    // These parsers take the file's lines at once (RPZ merges 'name' with '*.name'); they are the smaller lists.
    const lines = text.slice(bom).split('\n');
    if (format === 'adblock') for (const e of parseAdblock(lines, problem)) emit(e.domain, false, e.line, e.allow);
    else if (format === 'rpz') for (const e of parseRpz(lines, problem)) emit(e.domain, e.exact, e.line, e.allow);
    else prefixes.push(...parsePrefixes(lines, problem));
  } else {
    const exact = cfg.match === undefined ? format === 'hosts' : cfg.match === 'exact';
    for (let raw = nextLine(); raw !== null; raw = nextLine()) {
      const hash = raw.indexOf('#');
      const data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
      if (data.length === 0) continue;
      if (format === 'plain') {
        const d = normalizeDomain(data);
        if (typeof d === 'string') emit(d, exact, lineNo);
        else problem(lineNo, d.error);
        continue;
      }
      // hosts: ADDRESS NAME [NAME...]; the address is ignored, hradba answers per its sinkhole mode.
      const tokens = data.split(/[ \t]+/);
      const address = tokens[0] ?? '';
      if (!isAddress(address)) {
        problem(lineNo, `not a hosts line: '${address}' is not an IP address`);
        continue;
      }
      if (tokens.length < 2) {
        problem(lineNo, `hosts line has no name after '${address}'`);
        continue;
      }
      let bad: string | undefined;
      for (let t = 1; t < tokens.length; t++) {
        const token = tokens[t] ?? '';
        // An address as a name ('0.0.0.0 0.0.0.0' opens many published hosts files) is furniture, not an entry.
        if (isIP(token) !== 0) continue;
        const d = normalizeDomain(token);
        if (typeof d !== 'string') {
          bad ??= d.error;
          continue;
        }
        // So are the loopback names every hosts file carries.
        if (HOSTS_SKIP.has(d) || d.startsWith('ip6-')) continue;
        emit(d, exact, lineNo);
      }
      // One problem per line, so maxBadLines counts lines.
      if (bad !== undefined) problem(lineNo, bad);
    }
  }

  let info: ListInfo;
  if (format === 'hradba') {
    const set = METADATA_KEYS.filter((k) => cfg[k] !== undefined);
    if (set.length > 0) {
      fatalProblem(0, `a hradba list carries its own metadata; remove ${set.join(', ')} from its config entry`);
    }
    if (cfg.match !== undefined) {
      // Not fatal: the file says per entry how it matches ('=' for exact), so the key is just unused.
      problem(0, "config key 'match' is ignored for a hradba list (a leading '=' marks an exact entry)");
    }
    const missing: string[] = [];
    if (header.id === undefined) missing.push("'#@id'");
    if (header.vendor === undefined) missing.push("'#@vendor'");
    if (header.basis.length === 0) missing.push("'#@basis' (at least one)");
    if (missing.length > 0) fatalProblem(0, `hradba list header lacks ${missing.join(', ')}`);
    info = {
      id: header.id ?? '',
      file,
      vendor: header.vendor ?? '',
      vendorName: header.vendorName ?? header.vendor ?? '',
      basis: header.basis,
      sources: header.sources,
      ...(header.generated === undefined ? {} : { generated: header.generated }),
    };
  } else {
    const missing: string[] = [];
    if (cfg.id === undefined) missing.push('id');
    if (cfg.vendor === undefined) missing.push('vendor');
    if (cfg.basis === undefined || cfg.basis.length === 0) missing.push('basis');
    if (missing.length > 0) {
      fatalProblem(0, `a ${format} list has no metadata of its own: its config entry needs ${missing.join(', ')}`);
    } else if (!ID_PATTERN.test(cfg.id ?? '')) {
      fatalProblem(0, `bad list id '${cfg.id ?? ''}' in the config (lower-case letters, digits, '.', '_', '-')`);
    }
    info = {
      id: cfg.id ?? '',
      file,
      vendor: cfg.vendor ?? '',
      vendorName: cfg.vendorName ?? cfg.vendor ?? '',
      basis: cfg.basis ?? [],
    };
  }
  return { info, format, entries, problems, fatal, entryCount, ...(format === 'prefixes' ? { prefixes } : {}) };
}

/** readProblem says in a few words why a file could not be read. */
function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      // The usual cause is a file copied in as root, or a mount whose owner differs from the service user.
      return `permission denied: make it readable by the user hradba runs as (uid ${process.getuid?.() ?? '?'})`;
    case 'EISDIR':
      return 'is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/**
 * loadList reads and parses one list. Throws HradbaError('HRADBA_ERR_LIST') with every problem when the
 * file is unreadable, unusable as a whole, or has more than maxBadLines bad lines; otherwise the bad lines
 * come back as warnings in `problems`.
 */
export async function loadList(cfg: ListConfig, maxBadLines: number): Promise<LoadedList> {
  return checkList(parseList(await readListText(cfg), cfg), maxBadLines);
}

/** readListText reads a list file as text; throws HradbaError('HRADBA_ERR_LIST') naming the file when it cannot. */
export async function readListText(cfg: ListConfig): Promise<string> {
  try {
    return await readFile(cfg.file, 'utf8');
  } catch (err) {
    const message = `cannot read list: ${readProblem(err)}`;
    throw new HradbaError('HRADBA_ERR_LIST', `${cfg.file}: ${message}`, {
      problems: [{ file: cfg.file, line: 0, message }],
      cause: err,
    });
  }
}

/** checkList returns a parsed list that may be used, or throws HradbaError('HRADBA_ERR_LIST') with every problem. */
export function checkList(list: LoadedList, maxBadLines: number): LoadedList {
  const file = list.info.file;
  if (list.fatal) {
    const first = list.problems.find((p) => p.line === 0) ?? list.problems[0];
    throw new HradbaError('HRADBA_ERR_LIST', `${file}: ${first?.message ?? 'unusable list'}`, { problems: list.problems });
  }
  if (list.problems.length > maxBadLines) {
    throw new HradbaError('HRADBA_ERR_LIST', `${file}: ${list.problems.length} bad lines (limit ${maxBadLines})`, {
      problems: list.problems,
    });
  }
  return list;
}
