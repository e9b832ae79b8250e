/** Shapes of a parsed client query and of a query that failed to parse, shared by the wire code and the server. */

/** EDNS(0) as read from the query's OPT record (RFC 6891). */
export interface EdnsInfo {
  /** Requestor's UDP payload size, as sent (not clamped). */
  readonly udpSize: number;
  /** EDNS version; anything but 0 earns BADVERS. */
  readonly version: number;
  /** The DO bit (DNSSEC OK). */
  readonly dnssecOk: boolean;
}

/** A well-formed standard query, read straight off the wire without copying the message. */
export interface ParsedQuery {
  readonly id: number;
  /** Header bytes 2..3 exactly as sent (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
  readonly flags: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  /**
   * Query name, lower-cased (ASCII only), dotted, without the trailing dot; '' for the root.
   * Escapes: a label byte '.' is kept as '\\.' and a label byte '\\' as '\\\\', so two different names never
   * read alike; other bytes are kept as latin1 characters.
   */
  readonly qname: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past QCLASS: msg.subarray(12, questionEnd) is the question exactly as sent (case kept). */
  readonly questionEnd: number;
  /** The OPT record of the query, or null when the query had none. */
  readonly edns: EdnsInfo | null;
}

/**
 * Why a message is not answered normally.
 * `drop`: nothing can or should be sent (a response, or too short to echo a header).
 * `reply`: send `errorReply(msg, failure)`, an error answer with the given RCODE.
 */
export type QueryFailure =
  | { readonly action: 'drop'; readonly reason: string }
  | {
      readonly action: 'reply';
      readonly reason: string;
      /** Full RCODE (may be extended, e.g. 16 BADVERS, which needs an OPT to carry its upper bits). */
      readonly rcode: number;
      /** Offset just past the question when the question itself was sound (so it can be echoed), else 0. */
      readonly questionEnd: number;
      /** The query's EDNS when it was read before the failure, else null. */
      readonly edns: EdnsInfo | null;
    };

export type QueryParseResult =
  | { readonly ok: true; readonly query: ParsedQuery }
  | { readonly ok: false; readonly failure: QueryFailure };
