/** Durations in config files: a number with a unit ('250ms', '5s', '1.5s', '2m', '1h') turned into whole milliseconds. */
import { HradbaError } from '../errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

// A single number and unit; no sign (nothing we time can be negative) and no compound forms like '1m30s'.
const DURATION = /^(\d{1,15})(?:\.(\d{1,9}))?(ms|s|m|h)$/;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/** Parses a duration, returning milliseconds or a message saying what is wrong (the caller adds where). */
export function durationOrError(text: string): number | { error: string } {
  const m = DURATION.exec(text);
  if (m === null) {
    if (BARE_NUMBER.test(text)) {
      return { error: `'${text}' has no unit: write '${text}s' for seconds or '${text}ms' for milliseconds` };
    }
    return { error: `'${text}' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'` };
  }
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  const unit = UNIT_MS[m[3] as Unit];
  // Integer arithmetic on the digits: 1.1 * 1000 is 1100.0000000000002 in floating point.
  const scaled = Number(whole + fraction) * unit;
  const divisor = 10 ** fraction.length;
  if (!Number.isSafeInteger(scaled)) return { error: `'${text}' is too long` };
  if (scaled % divisor !== 0) return { error: `'${text}' is not a whole number of milliseconds` };
  return scaled / divisor;
}

/** Parses a duration such as '5s' into milliseconds; throws HRADBA_ERR_CONFIG for anything else. */
export function parseDuration(text: string): number {
  const r = durationOrError(text);
  if (typeof r !== 'number') throw new HradbaError('HRADBA_ERR_CONFIG', r.error);
  return r;
}

/** Formats milliseconds in the largest unit that divides them exactly (86400000 → '24h'), for messages and docs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
