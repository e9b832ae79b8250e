/** Provenance types: every banned entry knows its list, its vendor and the legal basis behind it. */

/** One legal basis for a ban: who decided, when, what, and where it is published. */
export interface Basis {
  readonly authority: string;
  /** ISO 8601 date, or a partial date such as '2025-08' when only the month is known. */
  readonly date: string;
  readonly title: string;
  readonly url: string;
}

/** A loaded list: where it came from and on what grounds it bans. */
export interface ListInfo {
  /** Stable id used in config, logs and reports (e.g. 'deepseek', 'huawei-extended'). */
  readonly id: string;
  /** Absolute path of the list file. */
  readonly file: string;
  /** Vendor id (e.g. 'deepseek'). */
  readonly vendor: string;
  /** Human vendor name. */
  readonly vendorName: string;
  /** Legal bases, most relevant first; basis[0] is the one named in logs and EDE texts. */
  readonly basis: readonly Basis[];
  /** Where the list's entries come from (`#@source` lines of a hradba list), for `hradba explain` and audits. */
  readonly sources?: readonly string[];
  /** When the list was generated (`#@generated` of a hradba list), as written there. */
  readonly generated?: string;
  /** From the config entry: 'log-only' lists only log what they would sinkhole (absent: 'enforce'). */
  readonly mode?: 'enforce' | 'log-only';
  /** From the config entry: a mandatory list is never dropped by a failed reload. */
  readonly mandatory?: boolean;
  /** From the config entry: the date the list is due for review. */
  readonly review?: string;
}

/** One entry of the policy: a domain (and, unless exact, every name below it). */
export interface PolicyEntry {
  /** Lower-case punycode domain without the trailing dot. */
  readonly domain: string;
  /** true: matches only the name itself; false: the name and every subdomain. */
  readonly exact: boolean;
  readonly list: ListInfo;
  /** 1-based line of the list file the entry came from. */
  readonly line: number;
  /** An allow entry of the list (AdBlock '@@', RPZ rpz-passthru.): wins where it is the most specific match. */
  readonly allow?: boolean;
}

/** A problem in a list file, reported as `file:line: reason`. */
export interface ListProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly line: number;
  readonly message: string;
}
