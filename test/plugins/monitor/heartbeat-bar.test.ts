// The heartbeat bar alone: the last 50 results kept, drawn newest on the right with a text
// alternative in words; a young service shows the checks it has.
import { expect } from 'chai'
import { beatsInWords, heartbeatBar, withBeat, HEARTBEATS_KEPT } from '../../../plugins/monitor/heartbeat-bar.ts'

describe('monitor: the heartbeat bar', () => {
  it('keeps the last 50 results, newest last', () => {
    let beats = ''
    for (let i = 0; i < 60; i++) beats = withBeat(beats, i === 59 ? 'down' : i === 58 ? 'pending' : 'up')
    expect(beats).to.have.length(HEARTBEATS_KEPT)
    expect(beats.endsWith('upd')).to.equal(true)
    expect(withBeat(null, 'degraded')).to.equal('g')
  })

  it('says what it shows in words, and draws one bar per check on the right', () => {
    expect(beatsInWords('')).to.equal('No checks yet.')
    expect(beatsInWords('uuupd')).to.equal('Last 5 checks: 3 up, 1 pending, 1 down; newest on the right.')
    const svg = heartbeatBar('uud', { width: 100, height: 10 })
    expect(svg).to.include('role="img"').and.include('aria-label="Last 3 checks: 2 up, 1 down; newest on the right."')
    expect(svg.match(/<rect /g)).to.have.length(3)
    // The newest sits in the last of the 50 slots.
    expect(svg).to.match(/<rect class="hb-down" x="98"/)
    expect(heartbeatBar('')).to.include('No checks yet.')
  })
})
