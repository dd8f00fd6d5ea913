import assert from 'node:assert/strict';
import { calendarDateOf } from '../../../src/services/tickets/calendarDate';

describe('calendarDateOf (the service centre\'s "today")', () => {
  it('when the instant crosses midnight in Huizhou, the date changes with it, though UTC is still on the day before', () => {
    assert.equal(calendarDateOf(new Date('2026-03-11T15:59:59.999Z')), '2026-03-11');
    assert.equal(calendarDateOf(new Date('2026-03-11T16:00:00.000Z')), '2026-03-12');
    assert.equal(calendarDateOf(new Date('2026-03-11T15:59:30.000Z')), '2026-03-11');
  });

  it('when asked for the same instant in other time zones, each zone gets its own date', () => {
    const instant = new Date('2026-03-11T23:30:00Z');
    assert.equal(calendarDateOf(instant, 'Asia/Shanghai'), '2026-03-12');
    assert.equal(calendarDateOf(instant, 'America/Los_Angeles'), '2026-03-11');
    assert.equal(calendarDateOf(instant, 'Asia/Shanghai'), '2026-03-12');
    assert.equal(calendarDateOf(instant, 'Asia/Kathmandu'), '2026-03-12');
  });

  it('when asked again within the same minute, the answer is the same; a minute later it can differ', () => {
    const beforeMidnight = new Date('2026-12-31T15:59:00.000Z');
    assert.equal(calendarDateOf(beforeMidnight), '2026-12-31');
    assert.equal(calendarDateOf(new Date(beforeMidnight.getTime() + 59_999)), '2026-12-31');
    assert.equal(calendarDateOf(new Date(beforeMidnight.getTime() + 60_000)), '2027-01-01');
  });

  it('when the instant is not a valid date, it throws rather than answering a cached date', () => {
    calendarDateOf(new Date('2026-03-12T02:00:00Z'));
    assert.throws(() => calendarDateOf(new Date(Number.NaN)), RangeError);
  });
});
