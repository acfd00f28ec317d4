// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: Plex not set up (or down) never touches a finished download: it is completed,
// the Plex step shows as pending with the reason, and a retry does it once Plex is there.
import path from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { configurePlex, startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: the Plex step when Plex is missing', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness({ plex: false }) })
  after(async () => h?.stop())

  it('completes the download, shows Plex as pending, and makes the collection once Plex is set up', async () => {
    h.videos.setPlaylist('later', 'Plex Later', ['p-one', 'p-two'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('later'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    await waitForStatus(h.host, row.id, 'completed')
    const pending = await waitFor('the Plex step to fail', async () => {
      const r = (await rows(h.host, user.id))[0]
      return r.plex_error ? r : undefined
    })
    expect(pending.status).to.equal('completed')
    expect(pending.plex_state).to.equal('pending')
    expect(pending.plex_error).to.include('Plex is not set up')
    expect((await client.get('/youtube')).text).to.include('Plex: pending')

    for (const file of pending.file_paths!) h.pms.addItem(h.section.key, { file })
    expect(pending.file_paths!.map((f) => path.dirname(f))).to.deep.equal([1, 2].map(() => path.join(h.libraryPath, 'Plex Later')))
    await configurePlex(h.host, h.pms.url, h.pms.token)
    await waitFor('the Plex step to succeed on a retry', async () => (await rows(h.host, user.id))[0].plex_state === 'done', 90_000)
      .catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await rows(h.host, user.id))} ${JSON.stringify(await h.host.db('jobs').where('name', 'like', 'youtube.plex%'))}`) })
    expect(h.pms.collections().map((c) => c.title)).to.include('Plex Later')
  })
})
