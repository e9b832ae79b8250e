/** Names of the log vocabulary: event names, common field names and the shape of a sinkhole line, shared by the writers and the `report` reader. */

/** Values of the `event` field; one per kind of line the server writes. */
export const EVENT = {
  /** One blocked lookup (src/log/block-log.ts). */
  sinkhole: 'sinkhole',
  /** All listeners are bound. */
  listening: 'listening',
  /** One policy/config reload, `ok` true or false. */
  reload: 'reload',
  /** The process is about to exit. */
  shutdown: 'shutdown',
  /** One allowed query (only with `log.queries: true`, at debug). */
  query: 'query',
  /** A lookup a log-only list would have sinkholed; answered normally. */
  wouldSinkhole: 'would-sinkhole',
  /** An anti-bypass signal answered (src/policy/anti-bypass.ts). */
  bypass: 'bypass',
  /** A group's exception let a blocked name through. */
  exception: 'exception',
  /** An exception was found past its expiry and no longer applies (once per rule and policy version). */
  exceptionExpired: 'exception-expired',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];

/** Field names used by more than one writer, or by a writer and a reader. */
export const FIELD = {
  /** Added by pino: level label ('info'). */
  level: 'level',
  /** Added by pino: ISO 8601 timestamp. */
  time: 'time',
  /** Added by pino: the message text. */
  msg: 'msg',
  event: 'event',
  component: 'component',
  client: 'client',
  clientPort: 'clientPort',
  transport: 'transport',
  qname: 'qname',
  qtype: 'qtype',
  mode: 'mode',
  received: 'received',
  match: 'match',
  matchExact: 'matchExact',
  list: 'list',
  vendor: 'vendor',
  basis: 'basis',
  policyVersion: 'policyVersion',
  err: 'err',
} as const;

/** The `msg` of every sinkhole line. */
export const SINKHOLE_MSG = 'sinkholed';
/** The `msg` of every would-sinkhole line (a log-only list). */
export const WOULD_SINKHOLE_MSG = 'would sinkhole';

/** The legal basis as written in a sinkhole line: who decided and when (the title and URL stay in the list). */
export interface LoggedBasis {
  readonly authority: string;
  readonly date: string;
}

/**
 * The fields logSinkhole passes to pino; pino adds `level`, `time`, `pid` and `msg`.
 * Keys are the FIELD names above; block-log.ts builds this type with literal keys so the
 * compiler, not a lookup table, keeps writer and reader in step.
 */
export interface SinkholeFields {
  readonly event: typeof EVENT.sinkhole | typeof EVENT.wouldSinkhole;
  readonly client: string;
  readonly clientPort: number;
  readonly transport: 'udp' | 'tcp';
  readonly qname: string;
  /** Type mnemonic ('A', 'HTTPS', 'TYPE1234'). */
  readonly qtype: string;
  readonly mode: string;
  /** What the client got: 'NXDOMAIN', 'NODATA', 'REFUSED', or the address answered ('0.0.0.0', '::', the block page's). */
  readonly received?: string;
  /** The policy entry's domain that matched (a parent of qname unless exact). */
  readonly match: string;
  readonly matchExact: boolean;
  /** List id. */
  readonly list: string;
  /** Vendor id. */
  readonly vendor: string;
  /** basis[0] of the list, or null when the list names none. */
  readonly basis: LoggedBasis | null;
  readonly policyVersion: number;
  /** The configured name of the client (clients[]), when it has one. */
  readonly clientName?: string;
  /** The client's group (groups[]; 'default' for the rest). */
  readonly group?: string;
  /** The CNAME/DNAME chain member of the upstream answer that matched, when it was not the query name. */
  readonly via?: string;
  /** The upstream answer's address that fell inside a banned prefix (answer-IP inspection). */
  readonly answerIp?: string;
}
