import { strict as assert } from 'node:assert';
import { SupportHours } from '../../../src/services/handoff/supportHours';
import { loadConfig } from '../../../src/config';

describe('SupportHours', () => {
  const hours = SupportHours.parse('Mon-Fri 09:00-18:00, Sat 10:00-14:00', 'Europe/London');

  it('when the setting is empty, the team is always in', () => {
    const always = SupportHours.parse('');
    assert.equal(always.isOpen(new Date('2026-12-06T03:00:00Z')), true);
  });

  it('when it is within a rule in the team’s time zone, the team is in; outside, it is not', () => {
    assert.equal(hours.isOpen(new Date('2026-12-02T09:30:00Z')), true); // Wed 09:30 London
    assert.equal(hours.isOpen(new Date('2026-12-02T18:00:00Z')), false); // closing time
    assert.equal(hours.isOpen(new Date('2026-12-05T11:00:00Z')), true); // Sat
    assert.equal(hours.isOpen(new Date('2026-12-06T11:00:00Z')), false); // Sun
    // Summer time: 09:30 in London is 08:30 UTC.
    assert.equal(hours.isOpen(new Date('2026-07-01T08:30:00Z')), true);
  });

  it('when the team is away, the next opening is found, across the weekend and in local time', () => {
    assert.equal(
      hours.nextOpening(new Date('2026-12-05T15:00:00Z')).toISOString(),
      '2026-12-07T09:00:00.000Z',
    );
    assert.equal(
      hours.nextOpening(new Date('2026-07-01T19:00:00Z')).toISOString(),
      '2026-07-02T08:00:00.000Z',
    );
    assert.equal(hours.describe(new Date('2026-12-07T09:00:00Z')), 'Monday 09:00 (Europe/London)');
  });

  it('when SUPPORT_HOURS or SUPPORT_TIMEZONE cannot be understood, start-up names the setting', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'test', SUPPORT_HOURS: 'weekdays 9 to 5' }), /SUPPORT_HOURS/);
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', SUPPORT_HOURS: 'Mon-Fri 18:00-09:00' }),
      /SUPPORT_HOURS/,
    );
    assert.throws(
      () =>
        loadConfig({
          NODE_ENV: 'test',
          SUPPORT_HOURS: 'Mon-Fri 09:00-18:00',
          SUPPORT_TIMEZONE: 'Mars/Olympus',
        }),
      /SUPPORT_TIMEZONE/,
    );
    const config = loadConfig({ NODE_ENV: 'test', SUPPORT_HOURS: 'Mon-Fri 09:00-18:00' });
    assert.equal(config.handoff.hours.timeZone, 'UTC');
    assert.equal(config.handoff.queueTimeoutMinutes, 10);
    assert.equal(config.handoff.eventPollMs, 100);
  });
});
