/** Duration parsing and formatting: every accepted form and every rejection message. */
import { describe, expect, it } from 'vitest';
import { durationOrError, formatDuration, parseDuration } from '../../src/config/duration.js';
import { HradbaError } from '../../src/errors.js';

describe('parseDuration', () => {
  it.each([
    ['0ms', 0],
    ['250ms', 250],
    ['5s', 5_000],
    ['0s', 0],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.25s', 250],
    ['2m', 120_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['5', "'5' has no unit: write '5s' for seconds or '5ms' for milliseconds"],
    ['1.5', "'1.5' has no unit: write '1.5s' for seconds or '1.5ms' for milliseconds"],
    ['', "'' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['5 s', "'5 s' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['-1s', "'-1s' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['5S', "'5S' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['1d', "'1d' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['1m30s', "'1m30s' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['.5s', "'.5s' is not a duration: write a number and a unit (ms, s, m, h), e.g. '5s' or '250ms'"],
    ['1.5ms', "'1.5ms' is not a whole number of milliseconds"],
    ['0.0001s', "'0.0001s' is not a whole number of milliseconds"],
    ['999999999999999h', "'999999999999999h' is too long"],
  ])('rejects %j', (text, message) => {
    expect(durationOrError(text)).toEqual({ error: message });
    expect(() => parseDuration(text)).toThrow(message);
    try {
      parseDuration(text);
    } catch (err) {
      expect(err).toBeInstanceOf(HradbaError);
      expect((err as HradbaError).code).toBe('HRADBA_ERR_CONFIG');
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1_500, '1500ms'],
    [5_000, '5s'],
    [90_000, '90s'],
    [120_000, '2m'],
    [86_400_000, '24h'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
