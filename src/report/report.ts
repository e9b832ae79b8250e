/**
 * The `report` command's core: reads block-log lines and sums up, per client, vendor and answer received, how
 * often banned services were asked for (queries, and user attempts: src/report/attempts.ts), when, and on what
 * legal basis. REFUSED answers are shown apart as referrals: the client's stub may have asked its next nameserver.
 */

import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { HradbaError } from '../errors.js';
import { EVENT, type LoggedBasis } from '../log/fields.js';
import { AttemptCounter } from './attempts.js';
import { isReferral, answerReceived } from './received.js';

/** One answer a client received for a vendor's names, and how often. */
export interface ReceivedUsage {
  /** 'NXDOMAIN', 'NODATA', 'REFUSED', an address ('0.0.0.0', '::', a block page), from the line or its mode. */
  readonly received: string;
  /** true for REFUSED: the client was sent on to its next nameserver, not blocked. */
  readonly referral: boolean;
  /** Sinkholed queries answered so. */
  readonly count: number;
  /** User attempts among them (queries of one lookup counted once). */
  readonly attempts: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** One vendor as seen from one client. */
export interface VendorUsage {
  /** Vendor id. */
  readonly vendor: string;
  /** Blocked queries: sinkholed, and answered with anything but a referral (REFUSED). */
  readonly count: number;
  /** User attempts among the blocked queries. */
  readonly attempts: number;
  /** Queries answered REFUSED (absent when none): referrals, not in `count`. */
  readonly referrals?: number;
  /** Every answer received, referrals included, most frequent first. */
  readonly received: readonly ReceivedUsage[];
  /** ISO 8601 (UTC) time of the first and last lookup. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Ids of the lists that matched, sorted. */
  readonly lists: readonly string[];
  /** Distinct legal bases named in the lines, in order of first appearance. */
  readonly bases: readonly LoggedBasis[];
}

/** One client and every banned vendor it asked for. */
export interface ClientUsage {
  readonly client: string;
  /** Blocked queries over all vendors (referrals not included). */
  readonly total: number;
  /** User attempts among them. */
  readonly attempts: number;
  /** Queries answered REFUSED over all vendors (absent when none). */
  readonly referrals?: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Sorted by count, highest first, then by vendor id. */
  readonly vendors: readonly VendorUsage[];
  /** The client's configured name and group, as the last line naming them said (absent in logs without groups). */
  readonly name?: string;
  readonly group?: string;
  /** Lookups a log-only list would have sinkholed (absent when none). */
  readonly wouldSinkhole?: number;
  /** Anti-bypass signals asked for (absent when none). */
  readonly bypass?: number;
}

/** Lines that did not count, by reason. */
export interface SkippedLines {
  readonly total: number;
  /** Not a JSON object (garbage, truncated lines, output of other programs). */
  readonly notJson: number;
  /** JSON lines of other events (listening, reload, shutdown, query, errors). */
  readonly otherEvent: number;
  /** Sinkhole lines missing a field the report needs (client, vendor, list, time). */
  readonly malformed: number;
}

export interface Report {
  /** Sorted by total, highest first, then by client address. */
  readonly clients: readonly ClientUsage[];
  /** Sinkhole lines counted. */
  readonly sinkholes: number;
  /** Of them, blocked queries (every answer but REFUSED), and the user attempts among those. */
  readonly blocked: number;
  readonly attempts: number;
  /** Of them, queries answered REFUSED: referrals to the client's next nameserver. */
  readonly referrals: number;
  /** Non-empty lines read. */
  readonly lines: number;
  readonly skipped: SkippedLines;
  /** Time span of the counted lines; null when none counted. */
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

/** The fields of a sinkhole line the report uses, once checked. */
interface SinkholeSample {
  readonly client: string;
  readonly vendor: string;
  readonly list: string;
  readonly time: number;
  readonly basis: LoggedBasis | null;
  readonly received: string;
  /** The query starts a user attempt. */
  readonly newAttempt: boolean;
}

interface ReceivedAcc {
  count: number;
  attempts: number;
  first: number;
  last: number;
}

interface VendorAcc {
  readonly received: Map<string, ReceivedAcc>;
  first: number;
  last: number;
  readonly lists: Set<string>;
  /** Keyed by authority + NUL + date, so the same basis on many lines is kept once. */
  readonly bases: Map<string, LoggedBasis>;
}

interface ClientAcc {
  name?: string;
  group?: string;
  wouldSinkhole: number;
  bypass: number;
  first: number;
  last: number;
  readonly vendors: Map<string, VendorAcc>;
}

/** buildReport aggregates sinkhole lines per client and vendor; any other line is counted as skipped, never fatal. */
export async function buildReport(lines: AsyncIterable<string> | Iterable<string>): Promise<Report> {
  const clients = new Map<string, ClientAcc>();
  let read = 0;
  let sinkholes = 0;
  let notJson = 0;
  let otherEvent = 0;
  let malformed = 0;
  let counted = 0;
  const attempts = new AttemptCounter();

  for await (const raw of lines) {
    const text = raw.trim();
    if (text === '') continue;
    read++;
    const obj = parseObject(text);
    if (obj === null) {
      notJson++;
      continue;
    }
    const event = obj['event'];
    if (event === EVENT.bypass || event === EVENT.wouldSinkhole) {
      // Counted per client beside the sinkholes: a measurement (log-only list) or an attempt to go around hradba.
      const client = obj['client'];
      const time = readTime(obj['time']);
      if (!isText(client) || time === null) {
        malformed++;
        continue;
      }
      const c = clientAcc(clients, client, time, obj);
      if (event === EVENT.bypass) c.bypass++;
      else c.wouldSinkhole++;
      counted++;
      continue;
    }
    if (event !== EVENT.sinkhole) {
      otherEvent++;
      continue;
    }
    const s = readSinkhole(obj, attempts);
    if (s === null) {
      malformed++;
      continue;
    }
    sinkholes++;
    counted++;
    add(clients, s, obj);
  }

  const out = [...clients].map(([client, acc]) => toClientUsage(client, acc));
  out.sort((a, b) => b.total - a.total || (b.referrals ?? 0) - (a.referrals ?? 0) || compareText(a.client, b.client));
  let first = Infinity;
  let last = -Infinity;
  for (const acc of clients.values()) {
    first = Math.min(first, acc.first);
    last = Math.max(last, acc.last);
  }
  const sum = (f: (c: ClientUsage) => number): number => out.reduce((n, c) => n + f(c), 0);
  return {
    clients: out,
    sinkholes,
    blocked: sum((c) => c.total),
    attempts: sum((c) => c.attempts),
    referrals: sum((c) => c.referrals ?? 0),
    lines: read,
    skipped: { total: notJson + otherEvent + malformed, notJson, otherEvent, malformed },
    firstSeen: counted > 0 ? iso(first) : null,
    lastSeen: counted > 0 ? iso(last) : null,
  };
}

/** clientAcc finds or makes a client's accumulator, widening its time span and taking its name and group from the line. */
function clientAcc(clients: Map<string, ClientAcc>, client: string, time: number, obj: Record<string, unknown>): ClientAcc {
  let c = clients.get(client);
  if (c === undefined) {
    c = { wouldSinkhole: 0, bypass: 0, first: time, last: time, vendors: new Map() };
    clients.set(client, c);
  }
  c.first = Math.min(c.first, time);
  c.last = Math.max(c.last, time);
  const name = obj['clientName'];
  const group = obj['group'];
  if (isText(name)) c.name = name;
  if (isText(group)) c.group = group;
  return c;
}

function add(clients: Map<string, ClientAcc>, s: SinkholeSample, obj: Record<string, unknown>): void {
  const c = clientAcc(clients, s.client, s.time, obj);

  let v = c.vendors.get(s.vendor);
  if (v === undefined) {
    v = { received: new Map(), first: s.time, last: s.time, lists: new Set(), bases: new Map() };
    c.vendors.set(s.vendor, v);
  }
  let r = v.received.get(s.received);
  if (r === undefined) {
    r = { count: 0, attempts: 0, first: s.time, last: s.time };
    v.received.set(s.received, r);
  }
  r.count++;
  if (s.newAttempt) r.attempts++;
  r.first = Math.min(r.first, s.time);
  r.last = Math.max(r.last, s.time);
  // Lines are not assumed to be in time order: several processes may share a file, and
  // logs may be concatenated in any order before being fed to the report.
  v.first = Math.min(v.first, s.time);
  v.last = Math.max(v.last, s.time);
  v.lists.add(s.list);
  if (s.basis !== null) {
    const key = `${s.basis.authority}\u0000${s.basis.date}`;
    if (!v.bases.has(key)) v.bases.set(key, s.basis);
  }
}

function toVendorUsage(vendor: string, v: VendorAcc): VendorUsage {
  const received: ReceivedUsage[] = [...v.received].map(([answer, r]) => ({
    received: answer,
    referral: isReferral(answer),
    count: r.count,
    attempts: r.attempts,
    firstSeen: iso(r.first),
    lastSeen: iso(r.last),
  }));
  received.sort((a, b) => b.count - a.count || compareText(a.received, b.received));
  const blocks = received.filter((r) => !r.referral);
  const referrals = received.reduce((n, r) => n + (r.referral ? r.count : 0), 0);
  return {
    vendor,
    count: blocks.reduce((n, r) => n + r.count, 0),
    attempts: blocks.reduce((n, r) => n + r.attempts, 0),
    ...(referrals === 0 ? {} : { referrals }),
    received,
    firstSeen: iso(v.first),
    lastSeen: iso(v.last),
    lists: [...v.lists].sort(compareText),
    bases: [...v.bases.values()],
  };
}

function toClientUsage(client: string, acc: ClientAcc): ClientUsage {
  const vendors: VendorUsage[] = [...acc.vendors].map(([vendor, v]) => toVendorUsage(vendor, v));
  vendors.sort((a, b) => b.count - a.count || (b.referrals ?? 0) - (a.referrals ?? 0) || compareText(a.vendor, b.vendor));
  const referrals = vendors.reduce((n, v) => n + (v.referrals ?? 0), 0);
  return {
    client,
    total: vendors.reduce((n, v) => n + v.count, 0),
    attempts: vendors.reduce((n, v) => n + v.attempts, 0),
    ...(referrals === 0 ? {} : { referrals }),
    firstSeen: iso(acc.first),
    lastSeen: iso(acc.last),
    vendors,
    ...(acc.name === undefined ? {} : { name: acc.name }),
    ...(acc.group === undefined ? {} : { group: acc.group }),
    ...(acc.wouldSinkhole === 0 ? {} : { wouldSinkhole: acc.wouldSinkhole }),
    ...(acc.bypass === 0 ? {} : { bypass: acc.bypass }),
  };
}

/** Parses one line as a JSON object; null for anything else (garbage, arrays, scalars). */
function parseObject(text: string): Record<string, unknown> | null {
  // Cheap pre-check: every pino line starts with '{'; skips the exception for most garbage.
  if (text.charCodeAt(0) !== 0x7b) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Checks the fields the report needs; null when one is missing or of the wrong type. */
function readSinkhole(o: Record<string, unknown>, attempts: AttemptCounter): SinkholeSample | null {
  const client = o['client'];
  const vendor = o['vendor'];
  const list = o['list'];
  const time = readTime(o['time']);
  if (!isText(client) || !isText(vendor) || !isText(list) || time === null) return null;
  // A line without a name or type still counts as a query; it is then an attempt of its own.
  const qname = o['qname'];
  const qtype = o['qtype'];
  const newAttempt = !isText(qname) || !isText(qtype) || attempts.isNew(client, qname, qtype, time);
  return { client, vendor, list, time, basis: readBasis(o['basis']), received: answerReceived(o), newAttempt };
}

/** Accepts the ISO strings our logger writes and the epoch-ms numbers of pino's default. */
function readTime(v: unknown): number | null {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  // Date's own range (±8.64e15 ms), so iso() can never throw on a counted line.
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : null;
}

/** A basis missing or malformed does not drop the line: the lookup still happened. */
function readBasis(v: unknown): LoggedBasis | null {
  if (typeof v !== 'object' || v === null) return null;
  const b = v as Record<string, unknown>;
  const authority = b['authority'];
  const date = b['date'];
  return typeof authority === 'string' && typeof date === 'string' ? { authority, date } : null;
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Locale-independent order, so the report is the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const TABLE_HEADER = ['CLIENT', 'VENDOR', 'RECEIVED', 'QUERIES', 'ATTEMPTS', 'FIRST SEEN', 'LAST SEEN', 'BASIS'] as const;
/** QUERIES and ATTEMPTS are right-aligned; BASIS, the last column, is not padded (no trailing spaces). */
const RIGHT_ALIGNED = new Set([3, 4]);

/** formatReportTable renders one aligned row per client, vendor and answer received, then a summary. */
export function formatReportTable(r: Report): string {
  const rows: string[][] = [];
  for (const c of r.clients) {
    const who = c.name === undefined && c.group === undefined ? c.client : `${c.client} (${[c.name, c.group === undefined ? undefined : `group ${c.group}`].filter((x) => x !== undefined).join(', ')})`;
    if (c.wouldSinkhole !== undefined) rows.push([who, '(would sinkhole, log-only lists)', '-', String(c.wouldSinkhole), '-', shortTime(c.firstSeen), shortTime(c.lastSeen), '-']);
    if (c.bypass !== undefined) rows.push([who, '(bypass attempts)', '-', String(c.bypass), '-', shortTime(c.firstSeen), shortTime(c.lastSeen), '-']);
    for (const v of c.vendors) {
      const basis = v.bases.length === 0 ? '-' : v.bases.map((b) => `${b.authority}, ${b.date}`).join('; ');
      for (const a of v.received) {
        rows.push([
          who,
          v.vendor,
          a.referral ? `${a.received} (referral)` : a.received,
          String(a.count),
          String(a.attempts),
          shortTime(a.firstSeen),
          shortTime(a.lastSeen),
          basis,
        ]);
      }
    }
  }

  const out: string[] = [];
  if (r.sinkholes === 0 && rows.length === 0) {
    out.push('No sinkholed lookups found.');
  } else {
    const all = [[...TABLE_HEADER], ...rows];
    const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
    for (const row of all) {
      const cells = row.map((cell, i) => {
        if (i === row.length - 1) return cell;
        const w = widths[i] ?? 0;
        return RIGHT_ALIGNED.has(i) ? cell.padStart(w) : cell.padEnd(w);
      });
      out.push(cells.join('  '));
    }
    out.push('');
    out.push(
      `${r.blocked} blocked ${plural(r.blocked, 'query', 'queries')} (${r.attempts} user ${plural(r.attempts, 'attempt')}) from ${r.clients.length} ${plural(r.clients.length, 'client')}` +
        `, ${shortTime(r.firstSeen ?? '')} to ${shortTime(r.lastSeen ?? '')}.`,
    );
    if (r.referrals > 0) {
      out.push(
        `${r.referrals} more ${plural(r.referrals, 'query', 'queries')} answered REFUSED: referrals, not blocks ` +
          '(glibc, curl and musl then ask the next nameserver, which may resolve the name).',
      );
    }
  }
  const s = r.skipped;
  if (s.total > 0) {
    out.push(
      `${s.total} ${plural(s.total, 'line')} skipped: ${s.otherEvent} other events, ${s.notJson} not JSON, ${s.malformed} malformed sinkhole ${plural(s.malformed, 'line')}.`,
    );
  }
  return out.join('\n') + '\n';
}

/** formatReportJson renders the report as indented JSON (the `--json` output), newline-terminated. */
export function formatReportJson(r: Report): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** '2025-07-09T08:15:00.123Z' → '2025-07-09 08:15:00Z': seconds are enough to read, and the Z keeps it unambiguous. */
function shortTime(isoTime: string): string {
  return isoTime.length >= 19 ? `${isoTime.slice(0, 10)} ${isoTime.slice(11, 19)}Z` : isoTime;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

/** readLines yields the lines of a file, or of stdin for '-'; throws HradbaError('HRADBA_ERR_LOG') when the file cannot be read. */
export async function* readLines(source: string): AsyncGenerator<string, void, undefined> {
  let input: Readable;
  if (source === '-') {
    input = process.stdin;
  } else {
    try {
      // Opened before streaming, so a missing file fails here with a clear message.
      input = (await open(source, 'r')).createReadStream({ encoding: 'utf8' });
    } catch (err) {
      throw readError(source, err);
    }
  }
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } catch (err) {
    // Errors while reading (EISDIR, EIO) reach the interface from its input stream.
    throw readError(source, err);
  } finally {
    rl.close();
    // Closes the file handle (autoClose) when the caller stops early; stdin is left alone.
    if (input !== process.stdin) input.destroy();
  }
}

function readError(source: string, err: unknown): HradbaError {
  const reason = err instanceof Error ? err.message : String(err);
  return new HradbaError('HRADBA_ERR_LOG', `cannot read ${source === '-' ? 'standard input' : source}: ${reason}`, { cause: err });
}
