/**
 * What every list reader shares: lines cut from the file's text one at a time (no array of a million strings),
 * and the callbacks an entry or a problem goes to.
 */

/** Receives each entry as it is read. */
export type EntrySink = (domain: string, exact: boolean, line: number, allow?: boolean) => void;

/** Reports a problem at a 1-based line (0: the whole file); 'skipped' lines do not count against maxBadLines. */
export type ProblemSink = (line: number, message: string, kind?: 'bad' | 'skipped') => void;

/** What a reader writes to. */
export interface ReaderContext {
  readonly emit: EntrySink;
  readonly problem: ProblemSink;
}

/** The message for a last line without its newline: a download or copy cut mid-line looks exactly like this. */
export const UNTERMINATED = 'last line has no newline: the file may be cut, so this line is not used';

/**
 * LineCursor hands out a text's lines in order. With a `problem` (or `held`) callback, a last line without
 * '\n' is held back and reported (the file may have been cut in the middle of it).
 */
export class LineCursor {
  readonly #text: string;
  readonly #held: ((line: number, raw: string) => void) | undefined;
  #pos: number;
  /** 1-based number of the line last returned. */
  lineNo = 0;

  /** `problem` gets the held-back last line reported; `held`, when given, gets the line itself instead. */
  constructor(text: string, problem?: ProblemSink, held?: (line: number, raw: string) => void) {
    this.#text = text;
    this.#held = held ?? (problem === undefined ? undefined : (line) => problem(line, UNTERMINATED));
    this.#pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** next returns the next line without its '\n' (a '\r' stays: readers trim), or null after the last. */
  next(): string | null {
    const text = this.#text;
    if (this.#pos >= text.length) return null;
    const nl = text.indexOf('\n', this.#pos);
    if (nl < 0) {
      const raw = text.slice(this.#pos);
      this.#pos = text.length;
      this.lineNo++;
      if (this.#held === undefined || raw.trim().length === 0) return raw;
      this.#held(this.lineNo, raw);
      return null;
    }
    const raw = text.slice(this.#pos, nl);
    this.#pos = nl + 1;
    this.lineNo++;
    return raw;
  }

  /** Where the line of the last nextEnd() starts in the text. */
  lineStart = 0;

  /**
   * nextEnd moves to the next line without cutting it out of the text: returns where it ends (its '\n'), its
   * start in `lineStart`; -1 after the last line (a held-back one included), as next() returns null.
   */
  nextEnd(): number {
    const text = this.#text;
    if (this.#pos >= text.length) return -1;
    this.lineStart = this.#pos;
    this.lineNo++;
    const nl = text.indexOf('\n', this.#pos);
    if (nl >= 0) {
      this.#pos = nl + 1;
      return nl;
    }
    this.#pos = text.length;
    if (this.#held === undefined) return text.length;
    const raw = text.slice(this.lineStart);
    if (raw.trim().length === 0) return text.length;
    this.#held(this.lineNo, raw);
    return -1;
  }
}

/** quoted shows a line in a message, cut when long. */
export function quoted(line: string): string {
  return `'${line.length > 80 ? `${line.slice(0, 77)}...` : line}'`;
}
