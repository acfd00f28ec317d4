// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: a file that comes out unreadable after post-processing (ffmpeg re-wrote it and
// said it succeeded, but the result is cut short, as on a disk that filled up for a moment).
// Here an ffmpeg wrapper cuts the first metadata re-write short; the disk has room. The file
// is removed, taken out of the archive and not recorded; the attempt fails saying so; the
// retry downloads that item again and the download completes with a whole file.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { holdsClip } from '../../support/fake-video-host.ts'
import { waitFor } from '../../support/wait-for.ts'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: a file that comes out unreadable', function () {
  this.timeout(120_000)
  let h: Harness
  let tools: string

  before(async () => {
    tools = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-ffmpeg-'))
    const mark = path.join(tools, 'cut-once')
    // yt-dlp re-writes each file as "file:<name>.temp.mp4" and renames it after: the first such output is cut to its first 100 bytes.
    fs.writeFileSync(path.join(tools, 'ffmpeg'), `#!/bin/sh
/usr/bin/ffmpeg "$@"; rc=$?
for last; do :; done
out="\${last#file:}"
case "$out" in *.temp.mp4) if [ $rc -eq 0 ] && [ ! -e '${mark}' ]; then : > '${mark}'; truncate -s 100 "$out"; fi;; esac
exit $rc
`, { mode: 0o755 })
    fs.symlinkSync('/usr/bin/ffprobe', path.join(tools, 'ffprobe'))
    h = await startHarness({ config: { ffmpegPath: path.join(tools, 'ffmpeg') } })
  })
  after(async () => {
    await h?.stop()
    if (tools) fs.rmSync(tools, { recursive: true, force: true })
  })

  it('removes it, says so on the attempt, and the retry brings it back whole', async () => {
    h.videos.setPlaylist('cut', 'Cut Short', ['cut-one'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('cut'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const failedOnce = await waitFor('the first attempt to fail', async () => {
      const r = (await rows(h.host, user.id))[0]
      return r.error?.includes('Attempt 1 of 3 failed') ? r : undefined
    }, 60_000)
    expect(failedOnce.error).to.include('“undated - Cut Short (1) [cut-1].mp4” came out unreadable after post-processing, so it was removed to be downloaded again')
    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    expect(done.file_paths).to.have.length(1)
    expect(holdsClip(done.file_paths![0], 'cut-one')).to.equal(true)
    expect(fs.existsSync(path.join(tools, 'cut-once'))).to.equal(true)
    // Downloaded twice (the cut file was taken out of the archive), recorded once.
    expect(h.videos.requests.filter((r) => r.path === '/media/cut-one.mp4' && r.start === 0).length).to.be.at.least(2)
    expect(await h.host.db('youtube_items').where({ archive_key: row.archive_key })).to.have.length(1)
  })
})
