/**
 * Reads the names to audit from the files an agency or the project has: one name a line, hosts files, adblock
 * `||name^` rules, and ranking CSVs (Tranco's `rank,name`, Cloudflare Radar's `domain` column); gzip or not.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { normalizeDomain } from '../policy/domain-name.js';

/** How many unreadable lines a file's statistics keep as samples. */
export const SAMPLE_LINES = 5;

/** What reading one file gave. */
export interface SourceStats {
  readonly file: string;
  /** Lines read (comments and blank lines included). */
  lines: number;
  /** Names handed on (a hosts line may hold several). */
  names: number;
  /** A CSV header line skipped. */
  header: boolean;
  /** Lines that held something but no name. */
  unreadable: number;
  /** The first unreadable lines as `file:line: text`. */
  readonly samples: string[];
}

/** namesOfLine gives the names a line holds (none for a comment or a blank line), or null when it holds no name. */
export function namesOfLine(raw: string): string[] | null {
  let line = raw;
  const hash = line.indexOf('#');
  if (hash >= 0) line = line.slice(0, hash);
  line = line.trim();
  if (line === '' || line.startsWith('!')) return [];
  const fields = line.split(/[\s,;]+/).filter((f) => f !== '');
  const first = fields[0] ?? '';
  // hosts: an address, then the names it maps (single labels such as localhost are no vendor's and skipped).
  const hosts = isIP(first) !== 0;
  const candidates = hosts ? fields.slice(1).filter((f) => f.includes('.')) : /^\d+$/.test(first) ? fields.slice(1, 2) : [first];
  if (hosts && candidates.length === 0 && fields.length > 1) return [];
  const names: string[] = [];
  for (let c of candidates) {
    c = c.replace(/^"(.*)"$/, '$1');
    if (c.startsWith('||')) c = c.slice(2);
    const caret = c.indexOf('^');
    if (caret >= 0) c = c.slice(0, caret);
    if (c.startsWith('*.')) c = c.slice(2);
    const n = normalizeDomain(c);
    if (typeof n !== 'string' || !n.includes('.')) return null;
    names.push(n);
  }
  return names.length === 0 ? null : names;
}

/** isGzip is true when the file starts with gzip's magic bytes. */
async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** openSource opens a file (gunzipped when it is gzip) or standard input for '-'. */
async function openSource(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  // Opened (and checked) before the stream exists, so a missing file rejects here instead of erroring unheard.
  const gzip = await isGzip(file);
  const raw = createReadStream(file);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.once('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/**
 * readNames streams the file's lines and calls onName for every name, in file order. A first line without any
 * name ('domain', 'rank,domain') is a CSV header; later lines without a name are counted and sampled. Throws when
 * the file cannot be read or its gzip stream is corrupt.
 */
export async function readNames(file: string, onName: (name: string) => void): Promise<SourceStats> {
  const stats: SourceStats = { file, lines: 0, names: 0, header: false, unreadable: 0, samples: [] };
  const input = await openSource(file);
  const errors = new Promise<never>((_, reject) => input.once('error', reject));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const done = (async () => {
    let sawData = false;
    for await (const line of lines) {
      stats.lines++;
      const names = namesOfLine(line);
      if (names === null) {
        if (!sawData && /^[\w\s,;"]+$/.test(line.trim())) stats.header = true;
        else {
          stats.unreadable++;
          if (stats.samples.length < SAMPLE_LINES) stats.samples.push(`${file}:${stats.lines}: ${line.length > 120 ? `${line.slice(0, 119)}…` : line}`);
        }
        sawData = true;
        continue;
      }
      if (names.length > 0) sawData = true;
      for (const n of names) {
        stats.names++;
        onName(n);
      }
    }
    return stats;
  })();
  return Promise.race([done, errors]);
}
