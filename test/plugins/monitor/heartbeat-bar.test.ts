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
    expect(beatsInWords('uuupd')).to.equal('Last 5 checks: 3 up, 1 pending, 1 down, newest last.')
    const svg = heartbeatBar('uud', { width: 100, height: 10 })
    expect(svg).to.include('role="img"').and.include('aria-label="Last 3 checks: 2 up, 1 down, newest last."')
    // A run of one state is one dashed line whose dashes are its bars, in a 50-unit box:
    // two up, then one down in the last of the 50 slots.
    expect(svg.match(/<path /g)).to.have.length(2)
    expect(svg).to.include('<path class="hb-up" d="M47 5H48.7"/>')
    expect(svg).to.include('<path class="hb-down" d="M49 8H49.7"/>')
    expect(svg).to.include('viewBox="0 0 50 10" preserveAspectRatio="none" width="100" height="10"')
    // Fifty checks up are one element.
    expect(heartbeatBar('u'.repeat(50)).match(/<path /g)).to.have.length(1)
    expect(heartbeatBar('')).to.include('No checks yet.')
  })
})
