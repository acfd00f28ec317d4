// When an email summary is due: the chosen local time stays on the wall clock across DST
// (the UTC instant moves), a time the spring change skips falls to the first one after it,
// the autumn's repeated hour sends once, and hourly summaries follow the local hour.
import { expect } from 'medianest/testing'
import { lastDigestSlot, nextDigestSlot, timeZoneProblem } from '../../../plugins/notifications/digest-times.ts'

const at = (iso: string) => new Date(iso)
const iso = (d: Date) => d.toISOString()

describe('notifications: when an email summary is due', () => {
  const berlin0730 = { digest: 'daily' as const, digestAt: '07:30', timeZone: 'Europe/Berlin' }

  it('keeps a daily 07:30 in Berlin at 07:30 local on both sides of the spring change', () => {
    // Saturday 27 March 2027 is CET (UTC+1); from Sunday 28 March, 01:00 UTC, CEST (UTC+2).
    expect(iso(lastDigestSlot(berlin0730, at('2027-03-27T12:00:00Z')))).to.equal('2027-03-27T06:30:00.000Z')
    expect(iso(lastDigestSlot(berlin0730, at('2027-03-28T05:29:00Z')))).to.equal('2027-03-27T06:30:00.000Z')
    expect(iso(lastDigestSlot(berlin0730, at('2027-03-28T05:30:00Z')))).to.equal('2027-03-28T05:30:00.000Z')
    expect(iso(nextDigestSlot(berlin0730, at('2027-03-27T12:00:00Z')))).to.equal('2027-03-28T05:30:00.000Z')
  })

  it('and on both sides of the autumn change', () => {
    // Sunday 31 October 2027, 01:00 UTC: CEST back to CET.
    expect(iso(nextDigestSlot(berlin0730, at('2027-10-30T12:00:00Z')))).to.equal('2027-10-31T06:30:00.000Z')
    expect(iso(lastDigestSlot(berlin0730, at('2027-10-31T06:29:00Z')))).to.equal('2027-10-30T05:30:00.000Z')
  })

  it('moves a time the spring change skips to the first one after it, and sends the repeated autumn hour once', () => {
    const night = { digest: 'daily' as const, digestAt: '02:30', timeZone: 'Europe/Berlin' }
    // 02:30 does not exist on 28 March 2027 in Berlin: 03:30 CEST (01:30 UTC) is the first after it.
    expect(iso(nextDigestSlot(night, at('2027-03-28T00:00:00Z')))).to.equal('2027-03-28T01:30:00.000Z')
    // 02:30 happens twice on 31 October: the slot is the first; an hour later it is still that one.
    const first = lastDigestSlot(night, at('2027-10-31T00:45:00Z'))
    expect(iso(first)).to.equal('2027-10-31T00:30:00.000Z')
    expect(iso(lastDigestSlot(night, at('2027-10-31T01:45:00Z')))).to.equal(iso(first))
  })

  it('follows the local hour for hourly summaries, half-hour zones included', () => {
    const kolkata = { digest: 'hourly' as const, timeZone: 'Asia/Kolkata' }
    expect(iso(lastDigestSlot(kolkata, at('2027-01-01T10:10:00Z')))).to.equal('2027-01-01T09:30:00.000Z')
    expect(iso(nextDigestSlot(kolkata, at('2027-01-01T10:10:00Z')))).to.equal('2027-01-01T10:30:00.000Z')
  })

  it('refuses a time zone this server does not know, naming it', () => {
    expect(timeZoneProblem('Mars/Olympus_Mons')).to.include('"Mars/Olympus_Mons" is not a time zone')
    expect(timeZoneProblem('America/New_York')).to.equal(null)
    expect(timeZoneProblem('')).to.equal(null)
  })
})
