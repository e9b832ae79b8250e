/** Error catalogue: every error hradba creates carries a stable code, so callers and tests match on `code`, not on text. */

export type HradbaErrorCode =
  | 'HRADBA_ERR_CONFIG'
  | 'HRADBA_ERR_LIST'
  | 'HRADBA_ERR_LISTEN'
  | 'HRADBA_ERR_LOG'
  | 'HRADBA_ERR_USAGE';

/** A problem located in a file: printed as `file:line: message` (line 0 = the whole file). */
export interface Located {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Formats a located problem the way compilers do, so editors can jump to it. */
export function formatLocated(p: Located): string {
  return p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

export class HradbaError extends Error {
  readonly code: HradbaErrorCode;
  /** Every problem found, when the error sums up several (config keys, list lines). */
  readonly problems: readonly Located[];

  constructor(code: HradbaErrorCode, message: string, options: { problems?: readonly Located[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HradbaError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
