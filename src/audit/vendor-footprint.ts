/**
 * The footprint part of the vendor data (blocklists/vendors.yaml): per vendor the keywords and brands that mark
 * a name as possibly the vendor's, and the names decided not to block (footprint exclusions, do_not_block notes).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { HradbaError } from '../errors.js';
import { normalizeDomain } from '../policy/domain-name.js';

/** The vendor data shipped with hradba, beside the lists made from it. */
export const SHIPPED_VENDOR_DATA: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../blocklists/vendors.yaml');

/** The reason key given to do_not_block notes (their text is the note). */
export const DO_NOT_BLOCK = 'do_not_block';

/** A name decided not to block for a vendor, and why. */
export interface Exclusion {
  /** Normalised name; it covers the names below it too unless `exact`. */
  readonly name: string;
  readonly exact: boolean;
  /** A key of the vendor's `footprint.reasons`, or 'do_not_block'. */
  readonly reason: string;
  /** What the reason key means, or the do_not_block note. */
  readonly why: string;
}

/** What the audit knows of one vendor beyond its lists. */
export interface VendorFootprint {
  readonly id: string;
  readonly name: string;
  /** Lower-case substrings of a label that make a name look like the vendor's ('tiktok', 'hicloud'). */
  readonly keywords: readonly string[];
  readonly exclusions: readonly Exclusion[];
}

/** Shortest keyword accepted: shorter ones match half of any ranking. */
const MIN_KEYWORD = 4;
const DOMAIN_TOKEN = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/i;

/**
 * doNotBlockNames extracts the names a do_not_block note starts with ('a.com / b.net (why)' gives a.com and
 * b.net), by the same rule as scripts/gen-blocklists.mjs, which drops exactly these names from the lists.
 */
export function doNotBlockNames(note: string): string[] {
  const names: string[] = [];
  for (const t of note.trim().split(/\s+/)) {
    if (DOMAIN_TOKEN.test(t)) names.push(t.toLowerCase());
    else if (t !== '/') break;
  }
  return names;
}

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** parseVendorFootprints reads the vendor data's text; throws HRADBA_ERR_CONFIG naming the file and the vendor. */
export function parseVendorFootprints(text: string, file: string): Map<string, VendorFootprint> {
  const problems: string[] = [];
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    problems.push(`not YAML: ${(err as Error).message}`);
  }
  const vendors = isRecord(data) && Array.isArray(data['vendors']) ? (data['vendors'] as unknown[]) : [];
  if (problems.length === 0 && vendors.length === 0) problems.push("no 'vendors' list");
  const out = new Map<string, VendorFootprint>();
  vendors.forEach((v, i) => {
    if (!isRecord(v) || typeof v['id'] !== 'string') {
      problems.push(`vendors[${i}]: no id`);
      return;
    }
    const id = v['id'];
    const where = `vendor '${id}'`;
    const fp = isRecord(v['footprint']) ? v['footprint'] : {};
    const keywords: string[] = [];
    for (const k of Array.isArray(fp['keywords']) ? fp['keywords'] : []) {
      const kw = String(k).toLowerCase();
      if (kw.length < MIN_KEYWORD || !/^[a-z0-9-]+$/.test(kw)) problems.push(`${where}: footprint.keywords: '${String(k)}' (at least ${MIN_KEYWORD} of a-z, 0-9, '-')`);
      else keywords.push(kw);
    }
    const reasons = isRecord(fp['reasons']) ? fp['reasons'] : {};
    const exclusions: Exclusion[] = [];
    const excluded = Array.isArray(fp['exclude']) ? fp['exclude'] : [];
    excluded.forEach((e, j) => {
      const at = `${where}: footprint.exclude[${j}]`;
      if (!isRecord(e) || typeof e['name'] !== 'string' || typeof e['reason'] !== 'string') {
        problems.push(`${at}: needs name and reason`);
        return;
      }
      const why = reasons[e['reason']];
      if (typeof why !== 'string') {
        problems.push(`${at}: reason '${e['reason']}' is not a key of footprint.reasons`);
        return;
      }
      const exact = e['name'].startsWith('=');
      const name = normalizeDomain(exact ? e['name'].slice(1) : e['name']);
      if (typeof name !== 'string') problems.push(`${at}: ${name.error}`);
      else exclusions.push({ name, exact, reason: e['reason'], why });
    });
    for (const note of Array.isArray(v['do_not_block']) ? v['do_not_block'] : []) {
      // The generator never lists these exact names; names below them may be listed, so they are exact here too.
      for (const name of doNotBlockNames(String(note))) exclusions.push({ name, exact: true, reason: DO_NOT_BLOCK, why: String(note) });
    }
    out.set(id, { id, name: typeof v['name'] === 'string' ? v['name'] : id, keywords, exclusions });
  });
  if (problems.length > 0) {
    throw new HradbaError('HRADBA_ERR_CONFIG', `${file}: ${problems.join('; ')}`, {
      problems: problems.map((message) => ({ file, line: 0, message })),
    });
  }
  return out;
}

/** loadVendorFootprints reads the vendor data file (default: the shipped one). */
export async function loadVendorFootprints(file: string = SHIPPED_VENDOR_DATA): Promise<Map<string, VendorFootprint>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HradbaError('HRADBA_ERR_CONFIG', `${file}: cannot read the vendor data: ${(err as Error).message}`, {
      problems: [{ file, line: 0, message: `cannot read the vendor data: ${(err as Error).message}` }],
    });
  }
  return parseVendorFootprints(text, file);
}

/** findExclusion returns the vendor's exclusion covering name (exact first, then the longest suffix), if any. */
export function findExclusion(fp: VendorFootprint, name: string): Exclusion | undefined {
  let best: Exclusion | undefined;
  for (const e of fp.exclusions) {
    const covers = e.name === name || (!e.exact && name.endsWith(`.${e.name}`));
    if (!covers) continue;
    if (best === undefined || e.name.length > best.name.length || (e.name.length === best.name.length && e.exact)) best = e;
  }
  return best;
}
