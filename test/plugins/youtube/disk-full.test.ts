// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: a full disk. The library is a small tmpfs (96 KiB, 64 of them taken; each file
// needs twice its size while ffmpeg embeds its metadata): the download ends `failed` with the
// reason, what finished stays, and a retry completes once space is freed. Needs root to
// mount the tmpfs (CI runs as root); skipped with the reason otherwise.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { expect } from 'chai'
import { holdsClip } from '../../support/fake-video-host.ts'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'
import { received } from './fixtures/youtube-listener/index.ts'

describe('youtube: a full disk', function () {
  this.timeout(180_000)
  let h: Harness | undefined
  let mountPoint: string

  before(async function () {
    mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-youtube-small-'))
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', mountPoint], { encoding: 'utf8' })
    if (mounted.status !== 0) {
      fs.rmSync(mountPoint, { recursive: true, force: true })
      this.skip() // mounting a size-limited folder needs root: `mount` said ${mounted.stderr}
    }
    h = await startHarness({ listen: true, config: { libraryPath: mountPoint } })
  })
  after(async () => {
    await h?.stop()
    spawnSync('umount', [mountPoint])
    fs.rmSync(mountPoint, { recursive: true, force: true })
  })

  it('fails cleanly with the reason, keeps what finished, and a retry completes once space is freed', async () => {
    h!.videos.setPlaylist('big', 'Too Big', ['d-one', 'd-two'])
    const blocker = path.join(mountPoint, 'blocker.bin')
    fs.writeFileSync(blocker, Buffer.alloc(64 * 1024))
    const { client, user } = await h!.host.signedIn()
    expect((await submit(client, h!.videos.playlistUrl('big'))).status).to.equal(303)
    const [row] = await rows(h!.host, user.id)
    const failed = await waitForStatus(h!.host, row.id, 'failed')
    expect(failed.error).to.include('The disk is full').and.include('free some space and retry')
    expect((await client.get('/youtube')).text).to.include('Status: Failed').and.include('The disk is full')
    const event = received.find((e) => e.event === 'youtube.download.failed' && e.payload.userId === user.id)
    expect(event, 'a failed event').to.not.equal(undefined)
    const alert = received.find((e) => e.event === 'youtube.disk.full' && e.payload.downloadId === row.id)
    expect(alert, 'admins are told').to.not.equal(undefined)
    expect(alert!.words).to.deep.include({ title: 'The YouTube library is out of space', link: '/admin/youtube' })

    fs.rmSync(blocker)
    expect((await client.post(`/youtube/downloads/${row.id}/retry`)).status).to.equal(303)
    const done = await waitForStatus(h!.host, row.id, 'completed')
    expect(done.file_paths).to.have.length(2)
    for (const [i, f] of done.file_paths!.entries()) expect(holdsClip(f, i === 0 ? 'd-one' : 'd-two')).to.equal(true)
  })
})
