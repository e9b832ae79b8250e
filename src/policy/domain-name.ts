/** Domain-name normalisation for list entries and operator input: one canonical lower-case punycode form. */
import { domainToASCII } from 'node:url';

/** Longest label in octets (RFC 1035 2.3.4). */
export const MAX_LABEL_LENGTH = 63;
/** Longest name in its dotted text form without the trailing dot (255 wire octets). */
export const MAX_NAME_LENGTH = 253;

/** A name already in canonical form: lower-case LDH/underscore labels of 1..63 octets, no trailing dot. */
const CANONICAL = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;

const DOT = 0x2e;
const HYPHEN = 0x2d;
const UNDERSCORE = 0x5f;

/** True for the ASCII characters a name may hold in its text form: letters, digits, '-', '_' and '.'. */
function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z (lower-cased afterwards)
    (c >= 0x30 && c <= 0x39) ||
    c === HYPHEN ||
    c === UNDERSCORE ||
    c === DOT
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** describeChar names a character readably for an error message. */
function describeChar(ch: string): string {
  if (ch === ' ') return 'space';
  if (ch === '\t') return 'tab';
  return `'${ch}'`;
}

/**
 * normalizeDomain turns text into the form the trie stores and queries arrive in: trimmed, lower-case,
 * without the trailing dot, Unicode labels as punycode; or says what is wrong with it.
 */
export function normalizeDomain(text: string): string | { error: string } {
  // Nearly every line of a big list is already canonical: one regex test, no copies.
  if (text.length <= MAX_NAME_LENGTH && !isDigit(text.charCodeAt(text.length - 1)) && CANONICAL.test(text)) return text;
  const shown = text.trim();
  let name = shown;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0) return { error: shown.length === 0 ? 'empty name' : `not a domain name: '${shown}'` };

  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) {
      ascii = false;
      continue;
    }
    // Checked before domainToASCII too: it is a URL host parser, so 'a/b.com' would become 'a' and
    // '%63' would be decoded. Only letters outside ASCII are handed to it.
    if (!isNameChar(c)) {
      const what = name[i] === '*' ? "wildcard '*' not supported" : `character ${describeChar(name[i] ?? '')} not allowed`;
      return { error: `not a domain name: '${shown}' (${what})` };
    }
  }
  if (ascii) {
    name = name.toLowerCase();
  } else {
    const converted = domainToASCII(name);
    if (converted === '') return { error: `not a domain name: '${shown}' (not a valid internationalised name)` };
    name = converted.endsWith('.') ? converted.slice(0, -1) : converted;
    // The IDNA mapping may turn look-alike characters into something we do not accept; check again.
    for (let i = 0; i < name.length; i++) {
      if (!isNameChar(name.charCodeAt(i))) return { error: `not a domain name: '${shown}' (maps to '${name}')` };
    }
  }

  if (name.length > MAX_NAME_LENGTH) {
    return { error: `name longer than ${MAX_NAME_LENGTH} octets (${name.length}): '${name.slice(0, 40)}...'` };
  }
  // No top-level domain is all digits; such a name is an IP address or a typo ('1.2.3.4', 'example.123').
  const lastDot = name.lastIndexOf('.');
  let allDigits = true;
  for (let i = lastDot + 1; i < name.length && allDigits; i++) allDigits = isDigit(name.charCodeAt(i));
  if (allDigits && lastDot + 1 < name.length) {
    return { error: `not a domain name: '${shown}' (the last label is all digits, like an IP address)` };
  }
  let start = 0;
  for (;;) {
    const dot = name.indexOf('.', start);
    const end = dot < 0 ? name.length : dot;
    if (end === start) return { error: `empty label in '${shown}'` };
    if (end - start > MAX_LABEL_LENGTH) {
      return { error: `label longer than ${MAX_LABEL_LENGTH} octets (${end - start}): '${name.slice(start, start + 20)}...'` };
    }
    if (dot < 0) break;
    start = dot + 1;
  }
  return name;
}
