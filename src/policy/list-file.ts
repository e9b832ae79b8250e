/**
 * Reading block lists: one reader per format (hradba's own, plain, wildcard, hosts, AdBlock/AdGuard, RPZ,
 * prefixes), each problem counted per reason with its first `file:line` samples, never one line per problem.
 */
import { readFile } from 'node:fs/promises';
import type { ListConfig, ListFormat } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { readAdblock } from './formats/adblock.js';
import { ID_PATTERN, LIST_MAGIC, readHradba } from './formats/hradba.js';
import { isAddress, readHosts } from './formats/hosts.js';
import type { EntrySink, ReaderContext } from './formats/line-cursor.js';
import { readPlain } from './formats/plain.js';
import { readPrefixes, type PrefixListEntry } from './formats/prefixes.js';
import { readRpz } from './formats/rpz.js';
import { ProblemTally, summaryProblems, type ProblemReport } from './list-problems.js';
import type { ListInfo, ListProblem } from './types.js';

export { LIST_FORMAT_VERSION, LIST_MAGIC, parseBasis } from './formats/hradba.js';
export type { EntrySink } from './formats/line-cursor.js';

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
  /** Whole-file problems (line 0), a count line when there are more, and the first line samples (bounded). */
  readonly problems: ListProblem[];
  /** Every problem counted: lines per reason, bad lines (against maxBadLines) and skipped ones. */
  readonly report: ProblemReport;
  /** true when the list cannot be used at all (missing metadata, unsupported version), whatever maxBadLines says. */
  readonly fatal: boolean;
  /** Entries read (duplicates included); equals entries.length unless they went to an `onEntry` callback instead. */
  readonly entryCount: number;
  /** Why the list may have no entry (`#@empty` of a hradba list, `mayBeEmpty` of its config entry). */
  readonly emptyReason?: string;
  /** A hradba list that ends with its `#@end: N` trailer: a later version without one was cut. */
  readonly sealed?: boolean;
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
    if (line.startsWith('|') || line.startsWith('@@') || line.startsWith('!')) return 'adblock';
    if (line.startsWith('#')) continue;
    if (line.startsWith('*.')) return 'wildcard';
    const first = firstToken(line);
    return first.length < line.length && isAddress(first) ? 'hosts' : 'plain';
  }
  return 'plain';
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
  const tally = new ProblemTally(file);
  const entries: ListEntry[] = [];
  let prefixes: PrefixListEntry[] = [];
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
  const fatalProblems: ListProblem[] = [];
  const ctx: ReaderContext = { emit, problem: (line, message, kind) => tally.add(line, message, kind) };
  const fatalProblem = (line: number, message: string): void => {
    fatal = true;
    fatalProblems.push({ file, line, message });
  };

  let header: ReturnType<typeof readHradba> = { basis: [], sources: [] };
  switch (format) {
    case 'hradba':
      header = readHradba(text, ctx, fatalProblem);
      break;
    case 'adblock':
      readAdblock(text, ctx);
      break;
    case 'rpz':
      readRpz(text, ctx);
      break;
    case 'prefixes':
      prefixes = readPrefixes(text, ctx.problem);
      break;
    case 'hosts':
      readHosts(text, cfg.match === undefined ? true : cfg.match === 'exact', cfg.hostsMappings ?? 'skip', ctx);
      break;
    default:
      // plain and wildcard: one name a line, '*.name' the name and every name below it.
      readPlain(text, cfg.match === 'exact', ctx);
  }
  const problem = (line: number, message: string): void => tally.add(line, message);

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
  // A list that yields nothing is a list that failed (an emptied download, every line rejected) unless it says so.
  const emptyReason = header.empty ?? cfg.mayBeEmpty;
  if (entryCount + prefixes.length === 0 && !fatal && emptyReason === undefined) {
    const r = tally.report();
    const why = r.badLines + r.skippedLines > 0 ? `every line with data was rejected or skipped (${r.badLines + r.skippedLines})` : 'it has no entry line';
    const declare = format === 'hradba' ? "'#@empty: reason' in its header" : "'mayBeEmpty: reason' in its config entry";
    fatalProblem(0, `the list yields no entry: ${why}; a list empty on purpose says so with ${declare}`);
  } else if (entryCount + prefixes.length > 0 && header.empty !== undefined) {
    problem(0, `'#@empty' but the list has ${entryCount + prefixes.length} entries (they are used)`);
  }
  const report = tally.report();
  const problems = [...fatalProblems, ...summaryProblems(file, report)];
  return {
    info,
    format,
    entries,
    problems,
    report,
    fatal,
    entryCount,
    ...(emptyReason === undefined ? {} : { emptyReason }),
    ...(header.sealed === true ? { sealed: true } : {}),
    ...(format === 'prefixes' ? { prefixes } : {}),
  };
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
  if (list.report.badLines > maxBadLines) {
    throw new HradbaError('HRADBA_ERR_LIST', `${file}: ${list.report.badLines} bad lines (limit ${maxBadLines})`, {
      problems: list.problems,
    });
  }
  if (list.fatal) {
    // Whatever made the list unusable comes first among its problems.
    const first = list.problems[0];
    throw new HradbaError('HRADBA_ERR_LIST', `${file}: ${first?.message ?? 'unusable list'}`, { problems: list.problems });
  }
  return list;
}
