import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogTimestamp } from './timestamp.ts';

const ref = new Date(2026, 10, 27, 12, 0, 0).getTime(); // local time, like the logs
const local = (...a: [number, number, number, number, number, number, number?]) => new Date(a[0], a[1], a[2], a[3], a[4], a[5], a[6] ?? 0).getTime();

describe('parseLogTimestamp', () => {
  it('reads the Asterisk, syslog and ISO forms', () => {
    const cases: [string, number | null][] = [
      ['[2026-11-27 04:30:28] SECURITY[1234] res_security_log.c: ...', local(2026, 10, 27, 4, 30, 28)],
      ['[2026-11-27 04:30:28.123] NOTICE[1] x', local(2026, 10, 27, 4, 30, 28, 123)],
      ['[Nov 27 04:30:28] NOTICE[12049]: res_pjsip_session.c', local(2026, 10, 27, 4, 30, 28)],
      ['[Nov  7 04:30:28] NOTICE[1] x', local(2026, 10, 7, 4, 30, 28)],
      ['Nov 4 18:30:40 localhost asterisk[32229]: NOTICE[32257]: chan_sip.c', local(2026, 10, 4, 18, 30, 40)],
      ['Mar  1 15:35:53 pbx asterisk[2350]: WARNING[1195]', local(2026, 2, 1, 15, 35, 53)],
      ['2026-11-27T04:30:28.123456+00:00 pbx asterisk[1]: x', Date.UTC(2026, 10, 27, 4, 30, 28, 123)],
      ['2026-11-27T04:30:28+0100 pbx asterisk[1]: x', Date.UTC(2026, 10, 27, 3, 30, 28)],
      ['NOTICE[566]: chan_sip.c:28926 handle_request_register', null],
      ['[2026-02-30 04:30:28] impossible date', null],
      ['[Foo 27 04:30:28] not a month', null],
    ];
    for (const [line, want] of cases) assert.equal(parseLogTimestamp(line, ref), want, line);
  });

  it('puts a year-less date in the year before when it would be more than a day after the reference', () => {
    const jan = new Date(2027, 0, 2, 0, 0, 0).getTime();
    assert.equal(parseLogTimestamp('[Dec 31 23:59:59] x', jan), local(2026, 11, 31, 23, 59, 59));
    assert.equal(parseLogTimestamp('[Jan  2 10:00:00] x', jan), local(2027, 0, 2, 10, 0, 0), 'later the same day is fine');
  });
});
