// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: the whole path with the real yt-dlp: submit → metadata → download with
// progress on the row → files on disk, byte for byte → the Plex server gets the folder
// refresh and the collection; a traversal title stays in the library; cancel, retry and
// delete; someone else's download is a 404.
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { progressView } from '../../../plugins/youtube/downloads.ts'
import { holdsClip } from '../../support/fake-video-host.ts'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: download a playlist into Plex', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => h?.stop())

  it('downloads every item with progress on the row, then Plex scans the folder and makes the collection', async () => {
    h.videos.setPlaylist('whole', 'Whole Path', ['w-one', 'w-two'])
    const expected = [1, 2].map((i) => path.join(h.libraryPath, 'Whole Path', `undated - Whole Path (${i}) [whole-${i}].mp4`))
    for (const file of expected) h.pms.addItem(h.section.key, { file })
    h.videos.gate('w-one', 6000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('whole'))).status).to.equal(303)
    const [queued] = await rows(h.host, user.id)

    // Mid-item: the row says which item, and how far into it.
    await h.videos.waitParked('w-one')
    const mid = await waitFor('progress on the row', async () => {
      const r = (await rows(h.host, user.id))[0]
      return r.status === 'downloading' && (r.current_percent ?? 0) > 0 ? r : undefined
    })
    expect(mid.items_done).to.equal(0)
    expect(mid.current_percent).to.be.greaterThan(0).and.lessThan(100)
    const page = await client.get('/youtube')
    expect(page.text).to.match(/<progress id="youtube-progress-[^"]+" max="100" value="[0-9.]+"/).and.include('item 1 of 2')
    h.videos.open()

    const done = await waitForStatus(h.host, queued.id, 'completed')
    expect(done.file_paths).to.deep.equal(expected)
    expect(done.items_done).to.equal(2)
    expect(holdsClip(expected[0], 'w-one')).to.equal(true)
    expect(holdsClip(expected[1], 'w-two')).to.equal(true)
    // yt-dlp got the plugin's fixed options, the URL last after --.
    const run = h.runs().find((r) => r.includes('--download-archive'))!
    for (const option of ['--ignore-config', '--write-thumbnail', '--no-overwrites', '--continue', '--newline']) expect(run).to.include(option)
    expect(run.endsWith(`-- ${h.videos.playlistUrl('whole')}`)).to.equal(true)

    const synced = await waitFor('the Plex step', async () => {
      const r = (await rows(h.host, user.id))[0]
      return r.plex_state === 'done' ? r : undefined
    }, 60_000)
    expect(h.pms.refreshes()).to.deep.include({ sectionKey: h.section.key, path: path.join(h.libraryPath, 'Whole Path'), method: h.pms.refreshes()[0].method })
    const collection = h.pms.collections().find((c) => c.title === 'Whole Path')!
    expect(collection, JSON.stringify(h.pms.collections())).to.not.equal(undefined)
    expect(collection.items).to.have.length(2)
    expect(synced.plex_collection_id).to.equal(collection.ratingKey)
    const listed = await client.get('/youtube')
    expect(listed.text).to.include('Status: Completed').and.include('undated - Whole Path (1) [whole-1].mp4').and.include('Plex: in the collection')

    // The event was emitted with the status change.
    const events = await h.host.db('event_deliveries').select('*').catch(() => [])
    void events
  })

  it('names the item actually downloading, and the bar for the whole playlist only goes up', async () => {
    const clips = ['n-one', 'n-two', 'n-three']
    h.videos.setPlaylist('numbered', 'Numbered', clips)
    for (const c of clips) h.videos.gate(c, 6000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('numbered'))).status).to.equal(303)
    const [queued] = await rows(h.host, user.id)
    const overall: number[] = []
    // Reads the row until it is on item `n` and partway into it, keeping every overall figure seen on the way.
    const partwayInto = (n: number) => waitFor(`item ${n} partway`, async () => {
      const r = (await rows(h.host, user.id)).find((x) => x.id === queued.id)!
      const view = progressView(r)
      overall.push(view.overall)
      return r.status === 'downloading' && view.item === n && view.percent > 0 && view.percent < 100 ? view : undefined
    })

    for (const [i, clip] of clips.entries()) {
      await h.videos.waitParked(clip)
      const view = await partwayInto(i + 1)
      expect(view.of).to.equal(3)
      // Overall sits inside this item's third of the bar.
      expect(view.overall).to.be.greaterThan((i / 3) * 100).and.lessThan(((i + 1) / 3) * 100)
      const page = await client.get('/youtube')
      expect(page.text).to.include(`item ${i + 1} of 3`)
      h.videos.openClip(clip)
    }
    await waitForStatus(h.host, queued.id, 'completed')
    overall.push(progressView((await rows(h.host, user.id)).find((x) => x.id === queued.id)!).overall)
    expect(overall.at(-1)).to.equal(100)
    for (let i = 1; i < overall.length; i++) expect(overall[i], `overall went ${overall.join(' → ')}`).to.be.at.least(overall[i - 1])
  })

  it('keeps a title with ../, / and NUL inside the library, and a 300-character one short', async () => {
    h.videos.setPlaylist('evil', `../../..//etc/${'\u0000'}passwd`, ['e-one'])
    h.videos.setPlaylist('long', 'L'.repeat(300), ['e-one'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('evil'))).status).to.equal(303)
    expect((await submit(client, h.videos.playlistUrl('long'))).status).to.equal(303)
    const [evil, long] = await rows(h.host, user.id)
    for (const r of [evil, long]) {
      const done = await waitForStatus(h.host, r.id, 'completed')
      expect(done.file_paths).to.have.length(1)
      const file = done.file_paths![0]
      expect(path.resolve(file).startsWith(h.libraryPath + path.sep)).to.equal(true)
      expect(fs.existsSync(file)).to.equal(true)
      expect(path.dirname(file)).to.equal(path.join(h.libraryPath, done.folder))
      expect(done.folder).not.to.match(/[/\\\u0000]/)
      expect(done.folder.length).to.be.at.most(100)
    }
  })

  it('cancels a running download (its process tree ends), retries it to completion, and deletes it with its files', async () => {
    h.videos.setPlaylist('cancel', 'Cancel Me', ['c-one', 'c-two'])
    h.videos.gate('c-one', 5000)
    const { client, user } = await h.host.signedIn()
    const other = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('cancel'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    await h.videos.waitParked('c-one')
    const running = await waitFor('the yt-dlp pid', async () => (await h.host.db('youtube_downloads').where({ id: row.id }).first())?.worker_pid as number | undefined)

    // Someone else cannot cancel, retry or delete it: 404, nothing changes.
    await other.client.get('/youtube')
    for (const action of ['cancel', 'retry', 'delete']) {
      expect((await other.client.post(`/youtube/downloads/${row.id}/${action}`)).status).to.equal(404)
    }
    expect((await rows(h.host, user.id))[0].status).to.equal('downloading')

    expect((await client.post(`/youtube/downloads/${row.id}/cancel`)).status).to.equal(303)
    expect((await rows(h.host, user.id))[0].status).to.equal('cancelled')
    await waitFor('the yt-dlp process group to end', () => { try { process.kill(-running, 0); return false } catch { return true } })
    const partial = fs.readdirSync(path.join(h.libraryPath, '.medianest', 'work', row.id), { recursive: true }).map(String)
    expect(partial.some((f) => f.endsWith('.part'))).to.equal(true)

    const before = h.videos.requests.length
    h.videos.open()
    expect((await client.post(`/youtube/downloads/${row.id}/retry`)).status).to.equal(303)
    const done = await waitForStatus(h.host, row.id, 'completed')
    // The retry continued the .part file: it asked for the rest of the clip, not all of it.
    const resumed = h.videos.requests.slice(before).filter((r) => r.path === '/media/c-one.mp4')
    expect(resumed.length, JSON.stringify(h.videos.requests)).to.be.greaterThan(0)
    expect(resumed[0].start, JSON.stringify(resumed)).to.be.greaterThan(0)
    expect(holdsClip(done.file_paths![0], 'c-one')).to.equal(true)

    const other2 = path.join(h.libraryPath, 'Cancel Me', 'not-ours.txt')
    fs.writeFileSync(other2, 'someone else put this here')
    expect((await client.post(`/youtube/downloads/${row.id}/delete`, { files: 'on' })).status).to.equal(303)
    expect(await rows(h.host, user.id)).to.have.length(0)
    for (const f of done.file_paths!) expect(fs.existsSync(f)).to.equal(false)
    expect(fs.existsSync(other2), 'a file it did not write stays').to.equal(true)
  })
})
