/** `hradba check`: validates the config and every list it names, printing entries per list and its problems (counts per reason, the first file:line samples). */
import { deploymentWarnings } from '../config/deployment-warnings.js';
import { loadConfig } from '../config/load.js';
import { formatLocated } from '../errors.js';
import { loadList } from '../policy/list-file.js';
import { buildPolicy } from '../policy/policy.js';
import { problemsOf } from '../server/server.js';
import { EXIT } from './exit-codes.js';

/** check returns the exit code: OK when config and every list (enforced or not) are valid. */
export async function check(configFile: string, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let config;
  try {
    config = await loadConfig(configFile);
  } catch (err) {
    out.write(`${configFile}: invalid configuration\n`);
    for (const line of problemsOf(err)) out.write(`${line}\n`);
    return EXIT.CONFIG;
  }
  out.write(`${config.file}: configuration valid\n`);
  for (const w of deploymentWarnings(config)) out.write(`warning: ${config.file}: ${w.message}\n`);

  let failed = false;
  const rows: string[][] = [['list', 'enforced', 'entries', 'duplicates', 'warnings', 'vendor', 'basis']];
  for (const list of config.lists) {
    try {
      const loaded = await loadList(list, config.maxBadLines);
      const basis = loaded.info.basis[0];
      // Distinct entries and repeated ones apart: 'entries' is what the trie will hold.
      const distinct = new Set(loaded.entries.map((e) => (e.exact ? `=${e.domain}` : e.domain))).size + (loaded.prefixes?.length ?? 0);
      const { badLines, skippedLines } = loaded.report;
      const whole = loaded.report.fileProblems.length;
      rows.push([
        loaded.info.id,
        list.enabled ? 'yes' : 'no',
        String(distinct),
        String(loaded.entries.length - (distinct - (loaded.prefixes?.length ?? 0))),
        String(badLines + skippedLines + whole),
        loaded.info.vendor,
        basis === undefined ? '' : `${basis.date} ${shorten(basis.authority, 60)}`,
      ]);
      for (const p of loaded.problems) out.write(`warning: ${formatLocated(p)}\n`);
      const due = reviewOverdue(list.review, new Date());
      if (due !== null) out.write(`warning: ${config.file}: list '${loaded.info.id}' (${list.file}) was due for review on ${due}; check its entries and basis, then move its 'review' date\n`);
    } catch (err) {
      failed = true;
      rows.push([list.id ?? list.file, list.enabled ? 'yes' : 'no', 'FAILED', '', '', '', '']);
      for (const line of problemsOf(err)) out.write(`error: ${line}\n`);
    }
  }
  // Building the policy also checks what only shows across lists (duplicate ids).
  if (!failed) {
    try {
      const policy = await buildPolicy(config.lists, config.maxBadLines, 1);
      rows.push(['total enforced', '', String(policy.entryCount), '', '', '', '']);
    } catch (err) {
      failed = true;
      for (const line of problemsOf(err)) out.write(`error: ${line}\n`);
    }
  }
  out.write(formatTable(rows));
  if (failed) {
    out.write('check failed\n');
    return EXIT.CONFIG;
  }
  return EXIT.OK;
}

/** shorten cuts a long name for a table cell, marking the cut. */
function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** reviewOverdue returns the review date when it has passed (a partial date counts to its end), else null. */
export function reviewOverdue(review: string | undefined, now: Date): string | null {
  if (review === undefined) return null;
  // '2026' means by the end of 2026, '2026-06' by the end of June: compare with the date padded to its last day.
  const end = review.length === 4 ? `${review}-12-31` : review.length === 7 ? `${review}-31` : review;
  return now.toISOString().slice(0, 10) > end ? review : null;
}

/** formatTable aligns rows into columns; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}
