import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from './limits.js';
import { findRegexHazard, guardedRegExpClass } from './regex-guard.js';

describe('findRegexHazard', () => {
  it.each([
    '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$',
    '^(?:foo|bar)$',
    '(ab)+',
    '(a+)?',
    '^\\d{3}-\\d{4}$',
    '[(a+)+]',
    '\\(a+\\)+',
    '(?<year>\\d{4})-(?<month>\\d{2})',
    '(?<=x)y+',
  ])('accepts %s', (pattern) => {
    expect(findRegexHazard(pattern, 256)).toBeUndefined();
  });

  it.each([
    ['(a+)+$', 'repeated group'],
    ['(a|aa)*', 'repeated group'],
    ['((ab)*c)+', 'repeated group'],
    ['(\\d{3}-)+', 'repeated group'],
    ['(?:a*)*', 'repeated group'],
    ['(x+x+)+y', 'repeated group'],
    ['(a)\\1', 'back-references'],
    ['(?<q>a)\\k<q>', 'back-references'],
  ])('refuses %s', (pattern, reason) => {
    expect(findRegexHazard(pattern, 256)).toContain(reason);
  });

  it('refuses patterns over the length limit', () => {
    expect(findRegexHazard('a'.repeat(257), 256)).toContain('longer than 256');
  });
});

describe('guardedRegExpClass', () => {
  const Guarded = guardedRegExpClass({ ...DEFAULT_LIMITS, maxRegexInputLength: 10 });

  it('behaves as a RegExp within the bounds', () => {
    expect(new Guarded('b+', 'g').exec('abbc')?.[0]).toBe('bb');
    expect('a-b-c'.replace(new Guarded('-', 'g'), '+')).toBe('a+b+c');
  });

  it('refuses hazardous patterns and over-long inputs', () => {
    expect(() => new Guarded('(a+)+')).toThrow(/refused/);
    expect(() => new Guarded('a').exec('a'.repeat(11))).toThrow(/up to 10 characters/);
  });
});
