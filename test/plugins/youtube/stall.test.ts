// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: a video host that stops sending. yt-dlp alone waits on a hung connection
// retry after retry (over 12 minutes, holding a download slot at "0%"); with no byte for
// stallTimeoutMs the attempt fails in words, and the next attempt continues the file.
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { holdsClip } from '../../support/fake-video-host.ts'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: a host that stops sending data', function () {
  this.timeout(120_000)
  let h: Harness

  before(async () => { h = await startHarness({ config: { stallTimeoutMs: 3000 } }) })
  after(async () => h?.stop())

  it('fails the attempt with "the video host stopped sending data", then the retry finishes the file', async () => {
    h.videos.setPlaylist('stall', 'Stalled List', ['s-one'])
    h.videos.gate('s-one', 6000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('stall'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    await h.videos.waitParked('s-one')
    const stalledPid = await waitFor('the yt-dlp pid', async () => (await h.host.db('youtube_downloads').where({ id: row.id }).first())?.worker_pid as number | undefined)

    const failedOnce = await waitFor('the stalled attempt to fail', async () => {
      const r = (await rows(h.host, user.id))[0]
      return r.error?.includes('Attempt 1 of 3 failed') ? r : undefined
    }, 30_000)
    expect(failedOnce.error).to.include('The video host stopped sending data: nothing arrived for 3 s.')
    // Its yt-dlp was stopped, not left waiting on the connection.
    await waitFor('the stalled yt-dlp to end', () => { try { process.kill(-stalledPid, 0); return false } catch { return true } })
    // The row says why while the next attempt runs (it starts within milliseconds here).
    expect((await client.get('/youtube')).text).to.include('The video host stopped sending data')
    // The host answers again: the next attempt continues.
    h.videos.open()

    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    expect(holdsClip(done.file_paths![0], 's-one')).to.equal(true)
  })
})
