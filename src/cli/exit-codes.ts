/** Exit codes an orchestrator can act on; documented in the README. */
export const EXIT = Object.freeze({
  OK: 0,
  /** A runtime failure: a port that cannot be bound, an unexpected error. */
  FAILURE: 1,
  /** Wrong command-line usage. */
  USAGE: 2,
  /** The config or an enforced list is invalid (sysexits' EX_CONFIG). */
  CONFIG: 78,
  /** An internal error (sysexits' EX_SOFTWARE). */
  SOFTWARE: 70,
});
