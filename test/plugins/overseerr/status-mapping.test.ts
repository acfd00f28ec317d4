// The one mapping table from Overseerr's request, media and download status to ours, case by case.
import { expect } from 'chai'
import { mapOverseerrState, syncMayMove } from '../../../plugins/overseerr/status-mapping.ts'

describe('overseerr: mapping Overseerr’s status to ours', () => {
  const cases: Array<[string, { requestStatus: number; mediaStatus: number; downloads?: Array<{ status: string; sizeLeft?: number }> }, string]> = [
    ['declined', { requestStatus: 3, mediaStatus: 2 }, 'rejected'],
    ['failed', { requestStatus: 4, mediaStatus: 3 }, 'failed'],
    ['Seerr completed', { requestStatus: 5, mediaStatus: 1 }, 'completed'],
    ['approved, available', { requestStatus: 2, mediaStatus: 5 }, 'completed'],
    ['pending there, yet available', { requestStatus: 1, mediaStatus: 5 }, 'completed'],
    ['approved, partially available', { requestStatus: 2, mediaStatus: 4 }, 'processing'],
    ['approved, processing, downloading', { requestStatus: 2, mediaStatus: 3, downloads: [{ status: 'downloading', sizeLeft: 100 }] }, 'downloading'],
    ['approved, processing, one of two still downloading', { requestStatus: 2, mediaStatus: 3, downloads: [{ status: 'completed', sizeLeft: 0 }, { status: 'queued', sizeLeft: 5 }] }, 'downloading'],
    ['approved, processing, downloads finished', { requestStatus: 2, mediaStatus: 3, downloads: [{ status: 'completed', sizeLeft: 0 }] }, 'processing'],
    ['approved, processing, nothing grabbed yet', { requestStatus: 2, mediaStatus: 3 }, 'in_progress'],
    ['approved, media pending', { requestStatus: 2, mediaStatus: 2 }, 'in_progress'],
    ['pending there', { requestStatus: 1, mediaStatus: 2 }, 'in_progress'],
    ['approved, media unknown', { requestStatus: 2, mediaStatus: 1 }, 'in_progress'],
    ['approved, Seerr deleted (7)', { requestStatus: 2, mediaStatus: 7 }, 'in_progress'],
    ['an unknown request status', { requestStatus: 9, mediaStatus: 5 }, 'in_progress'],
  ]
  for (const [name, state, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      expect(mapOverseerrState({ downloads: [], ...state }).status).to.equal(expected)
    })
  }

  it('names numbers it does not know, so they are logged', () => {
    expect(mapOverseerrState({ requestStatus: 2, mediaStatus: 6, downloads: [] }).unknown).to.equal('media status 6')
    expect(mapOverseerrState({ requestStatus: 2, mediaStatus: 5, downloads: [] }).unknown).to.equal(undefined)
  })

  it('moves forward only, or out to an end; never out of an end', () => {
    expect(syncMayMove('in_progress', 'downloading')).to.equal(true)
    expect(syncMayMove('downloading', 'completed')).to.equal(true)
    expect(syncMayMove('processing', 'downloading')).to.equal(false)
    expect(syncMayMove('downloading', 'in_progress')).to.equal(false)
    expect(syncMayMove('processing', 'failed')).to.equal(true)
    expect(syncMayMove('in_progress', 'rejected')).to.equal(true)
    expect(syncMayMove('completed', 'failed')).to.equal(false)
    expect(syncMayMove('failed', 'completed')).to.equal(false)
    expect(syncMayMove('pending', 'in_progress')).to.equal(false)
  })
})
