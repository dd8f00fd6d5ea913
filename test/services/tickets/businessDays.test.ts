import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../src/services/errors';
import { addBusinessDays, isBusinessDay } from '../../../src/services/tickets/businessDays';

describe('addBusinessDays', () => {
  // 2026-11-16 is a Monday.
  const cases: Array<{ name: string; start: string; days: number; holidays?: string[]; expected: string }> = [
    { name: 'within one week, no weekend crossed', start: '2026-11-16', days: 4, expected: '2026-11-20' },
    { name: 'from a Friday, 1 day lands on Monday', start: '2026-11-20', days: 1, expected: '2026-11-23' },
    { name: 'from a Saturday, 1 day lands on Monday', start: '2026-11-21', days: 1, expected: '2026-11-23' },
    { name: 'from a Sunday, 5 days lands on Friday', start: '2026-11-22', days: 5, expected: '2026-11-27' },
    {
      name: '14 days from a Monday skips two weekends',
      start: '2026-11-16',
      days: 14,
      expected: '2026-12-04',
    },
    {
      name: '0 days is the start day itself, even on a weekend',
      start: '2026-11-21',
      days: 0,
      expected: '2026-11-21',
    },
    {
      name: 'a holiday on a weekday is skipped',
      start: '2026-11-16',
      days: 4,
      holidays: ['2026-11-18'],
      expected: '2026-11-23',
    },
    {
      name: 'a holiday on a weekend changes nothing',
      start: '2026-11-20',
      days: 1,
      holidays: ['2026-11-22'],
      expected: '2026-11-23',
    },
    {
      name: 'the October Golden Week (1–7 Oct 2026) pushes 14 days by five business days',
      start: '2026-09-30',
      days: 14,
      holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
      expected: '2026-10-27',
    },
    {
      name: 'across a year end with New Year holiday',
      start: '2026-12-30',
      days: 2,
      holidays: ['2027-01-01'],
      expected: '2027-01-04',
    },
    { name: 'across 29 February in a leap year', start: '2028-02-28', days: 2, expected: '2028-03-01' },
  ];
  for (const testCase of cases) {
    it(`when ${testCase.name}, then it answers ${testCase.expected}`, () => {
      assert.equal(
        addBusinessDays(testCase.start, testCase.days, testCase.holidays ?? []),
        testCase.expected,
      );
    });
  }

  it('when given an instant, it counts from its calendar day in China (Asia/Shanghai)', () => {
    // Friday 20 Nov 2026 23:30 UTC is already Saturday 07:30 in Shanghai: +1 business day is Monday.
    assert.equal(addBusinessDays(new Date('2026-11-20T23:30:00Z'), 1), '2026-11-23');
    // Friday 20 Nov 2026 15:59 UTC is Friday 23:59 in Shanghai: +1 business day is also Monday.
    assert.equal(addBusinessDays(new Date('2026-11-20T15:59:00Z'), 1), '2026-11-23');
    // Thursday 19 Nov 2026 16:30 UTC is Friday 00:30 in Shanghai: +1 business day is Monday, not Friday.
    assert.equal(addBusinessDays(new Date('2026-11-19T16:30:00Z'), 1), '2026-11-23');
  });

  it('when the holidays come as a Set, it uses them too', () => {
    assert.equal(addBusinessDays('2026-11-16', 1, new Set(['2026-11-17'])), '2026-11-18');
  });

  it('when the count is negative or fractional, or the date is impossible, it throws a ValidationError', () => {
    assert.throws(() => addBusinessDays('2026-11-16', -1), ValidationError);
    assert.throws(() => addBusinessDays('2026-11-16', 1.5), ValidationError);
    assert.throws(() => addBusinessDays('2026-02-30', 1), ValidationError);
  });
});

describe('isBusinessDay', () => {
  it('when the day is a weekday and not a holiday, it is a business day; weekends and holidays are not', () => {
    assert.equal(isBusinessDay('2026-11-16'), true);
    assert.equal(isBusinessDay('2026-11-21'), false);
    assert.equal(isBusinessDay('2026-11-22'), false);
    assert.equal(isBusinessDay('2026-11-16', ['2026-11-16']), false);
  });
});
