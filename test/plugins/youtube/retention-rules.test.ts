// youtube: the retention rule alone (no host, no process): which items one follow's rule keeps.
import { expect } from 'chai'
import { keeps } from '../../../plugins/youtube/retention.ts'

describe('youtube: what a retention rule keeps', () => {
  const now = Date.UTC(2026, 11, 7)
  const daysAgo = (d: number) => new Date(now - d * 86_400_000)

  it('keeps everything under "all"', () => {
    expect(keeps({ keep: 'all', keep_count: null, keep_days: null }, 10_000, daysAgo(5000), now)).to.equal(true)
  })
  it('keeps the first N places, newest upload first, under "newest"', () => {
    const rule = { keep: 'newest' as const, keep_count: 2, keep_days: null }
    expect([0, 1, 2, 3].map((rank) => keeps(rule, rank, daysAgo(0), now))).to.deep.equal([true, true, false, false])
  })
  it('keeps what arrived within N days under "days", whatever its place', () => {
    const rule = { keep: 'days' as const, keep_count: null, keep_days: 7 }
    expect(keeps(rule, 500, daysAgo(6.9), now)).to.equal(true)
    expect(keeps(rule, 0, daysAgo(7), now)).to.equal(false)
  })
})
