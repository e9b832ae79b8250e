/**
 * The problems of one list, kept bounded whatever the file: a count per reason and the first few `file:line`
 * samples, so a list of 50,000 bad lines gives a short report, not 50,000 lines.
 */
import type { ListProblem } from './types.js';

/** How many located samples a list keeps (Pi-hole shows five too). */
export const SAMPLE_COUNT = 5;
/** The longest message a sample keeps; the line it quotes may be as long as a whole file. */
export const MAX_MESSAGE_LENGTH = 200;
/** Distinct reasons counted apart; any further ones are counted together (messages are few shapes in practice). */
const MAX_REASONS = 24;

/** Counted lines: 'bad' lines count against maxBadLines; 'skipped' ones are lines the format says mean nothing here. */
export type ProblemKind = 'bad' | 'skipped';

/** The bounded record of one list's problems. */
export interface ProblemReport {
  /** Whole-file problems (line 0): few by nature, every one kept. */
  readonly fileProblems: readonly ListProblem[];
  /** The first SAMPLE_COUNT line problems, of either kind, in file order. */
  readonly samples: readonly ListProblem[];
  /** Lines counted against maxBadLines. */
  readonly badLines: number;
  /** Lines skipped on purpose (a rule that means nothing to DNS, a hosts mapping), with a warning. */
  readonly skippedLines: number;
  /** Lines per reason, bad and skipped ones both. */
  readonly reasons: Readonly<Record<string, number>>;
}

/** reasonOf is the message without what it quotes of the line: quotes become '…', the text stops at ':' or '('. */
export function reasonOf(message: string): string {
  const unquoted = message.slice(0, 300).replace(/'[^']*'/g, "'…'");
  const m = /^[^:(]*/.exec(unquoted);
  const reason = (m?.[0] ?? '').trim();
  return reason.length === 0 ? unquoted.slice(0, 60) : reason.slice(0, 100);
}

/** shortMessage cuts a message that quotes a long line. */
function shortMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}

/** ProblemTally collects a list's problems as they are found, holding only counts and a few samples. */
export class ProblemTally {
  readonly #file: string;
  readonly #fileProblems: ListProblem[] = [];
  readonly #samples: ListProblem[] = [];
  readonly #reasons = new Map<string, number>();
  #bad = 0;
  #skipped = 0;

  constructor(file: string) {
    this.#file = file;
  }

  /** add records one problem; line 0 means the whole file. */
  add(line: number, message: string, kind: ProblemKind = 'bad'): void {
    if (line <= 0) {
      this.#fileProblems.push({ file: this.#file, line: 0, message: shortMessage(message) });
      return;
    }
    if (kind === 'bad') this.#bad++;
    else this.#skipped++;
    let reason = reasonOf(message);
    if (!this.#reasons.has(reason) && this.#reasons.size >= MAX_REASONS) reason = 'other reasons';
    this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1);
    if (this.#samples.length < SAMPLE_COUNT) this.#samples.push({ file: this.#file, line, message: shortMessage(message) });
  }

  get badLines(): number {
    return this.#bad;
  }

  report(): ProblemReport {
    return {
      fileProblems: this.#fileProblems.slice(),
      samples: this.#samples.slice(),
      badLines: this.#bad,
      skippedLines: this.#skipped,
      reasons: Object.fromEntries(this.#reasons),
    };
  }
}

/** reasonsText writes counts per reason, most frequent first: '48,700 not a domain name, 23 empty label'. */
export function reasonsText(reasons: Readonly<Record<string, number>>): string {
  return Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n.toLocaleString('en-US')} ${reason}`)
    .join(', ');
}

/**
 * summaryProblems is a report as located lines: whole-file problems, one line with the counts when there are
 * more problems than samples, then the samples. At most SAMPLE_COUNT + 1 lines beyond the whole-file ones.
 */
export function summaryProblems(file: string, r: ProblemReport): ListProblem[] {
  const lines = r.badLines + r.skippedLines;
  const out: ListProblem[] = [...r.fileProblems];
  if (lines > r.samples.length) {
    const parts = [
      ...(r.badLines > 0 ? [`${r.badLines.toLocaleString('en-US')} bad line${r.badLines === 1 ? '' : 's'}`] : []),
      ...(r.skippedLines > 0 ? [`${r.skippedLines.toLocaleString('en-US')} skipped`] : []),
    ];
    out.push({ file, line: 0, message: `${parts.join(' and ')} (${reasonsText(r.reasons)}); the first ${r.samples.length} follow` });
  }
  out.push(...r.samples);
  return out;
}
