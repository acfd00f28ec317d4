// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: ffmpeg missing. The download still completes with the files as the host sent
// them (byte for byte: nothing re-wrote them), yt-dlp is not asked for what needs ffmpeg,
// and the row says which assets are missing and why.
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: without ffmpeg', function () {
  this.timeout(120_000)
  let h: Harness

  before(async () => { h = await startHarness({ config: { ffmpegPath: '/nonexistent/ffmpeg' } }) })
  after(async () => h?.stop())

  it('completes the download as sent and lists what could not be made', async () => {
    h.videos.setPlaylist('plain', 'Plain Files', ['u-one', 'u-two'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('plain'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(done.file_paths).to.have.length(2)
    expect(fs.readFileSync(done.file_paths![0]).equals(h.videos.clip('u-one'))).to.equal(true)
    const run = h.runs().find((r) => r.includes('--download-archive') && r.includes('plain'))!
    expect(run).to.not.include('--embed-metadata').and.not.include('--embed-subs').and.not.include('-x ')
    expect(done.notes).to.include('ffmpeg is not usable, so no metadata or chapters were embedded, and thumbnails stay as sent')
      .and.include('no poster for the folder (its picture is not a JPEG and ffmpeg is missing)')
      .and.include('the thumbnail of “undated - Plain Files (1) [plain-1].mp4” stays .png (ffmpeg is missing), which Plex does not read')
    expect(fs.readdirSync(path.dirname(done.file_paths![0])).filter((f) => !f.endsWith('.mp4')).sort())
      .to.deep.equal(['undated - Plain Files (1) [plain-1].png', 'undated - Plain Files (2) [plain-2].png'])
    const page = await client.get('/youtube')
    expect(page.text).to.include('ffmpeg is not usable')
  })
})
