/** DNS numeric constants (RR types, classes, RCODEs, EDE codes, header bits) and their display names. */

/** RR types by mnemonic (IANA "Resource Record (RR) TYPEs"). A subset: unknown types are handled by number. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  NULL: 10,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  SIG: 24,
  KEY: 25,
  AAAA: 28,
  LOC: 29,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  DNAME: 39,
  OPT: 41,
  APL: 42,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  HIP: 55,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  EUI48: 108,
  EUI64: 109,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;

export const CLASS_IN = 1;
export const CLASS_CH = 3;
export const CLASS_ANY = 255;

/** Response codes. Values above 15 need an OPT record to carry their upper 8 bits (RFC 6891 §6.1.3). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** Extended DNS Error INFO-CODEs (RFC 8914 §4), the ones hradba sends. */
export const EDE = {
  OTHER: 0,
  STALE_ANSWER: 3,
  NOT_READY: 14,
  BLOCKED: 15,
  CENSORED: 16,
  FILTERED: 17,
  PROHIBITED: 18,
  NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;

/** EDNS(0) option codes (IANA "DNS EDNS0 Option Codes"). */
export const OPTION_CODE = {
  NSID: 3,
  CLIENT_SUBNET: 8,
  COOKIE: 10,
  TCP_KEEPALIVE: 11,
  PADDING: 12,
  EDE: 15,
} as const;

/** Octets in the fixed message header. */
export const HEADER_SIZE = 12;
/** Largest UDP answer to a client that sent no OPT (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** Opcode of a standard query; every other opcode earns NOTIMP. */
export const OPCODE_QUERY = 0;

// Header flag bits as they sit in byte 2 and byte 3 of the message.
export const FLAG2_QR = 0x80;
export const FLAG2_OPCODE = 0x78;
export const FLAG2_AA = 0x04;
export const FLAG2_TC = 0x02;
export const FLAG2_RD = 0x01;
export const FLAG3_RA = 0x80;
export const FLAG3_Z = 0x40;
export const FLAG3_AD = 0x20;
export const FLAG3_CD = 0x10;
export const FLAG3_RCODE = 0x0f;

// Reverse table built once; a sparse array lookup is cheaper than a Map for 16-bit keys.
const TYPE_NAMES: (string | undefined)[] = [];
for (const [name, code] of Object.entries(TYPE)) TYPE_NAMES[code] = name;

/** Mnemonic of an RR type ('A', 'HTTPS'), or the RFC 3597 form 'TYPE1234' for one we do not name. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const RCODE_NAMES: (string | undefined)[] = [];
for (const [name, code] of Object.entries(RCODE)) RCODE_NAMES[code] = name;

/** Mnemonic of an RCODE ('NXDOMAIN'), or 'RCODE23' for one we do not name. */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}
