// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: retention per source, with the real yt-dlp. A channel's newest three come in,
// each recorded as an item with its upload date; a person pins the oldest and keeps "the
// newest 1": the schedule deletes the middle one (file, thumbnail), keeps the pinned one,
// takes it out of the download's files, marks it removed on the source's page and asks Plex
// to rescan the folder. While a download of the source is running, retention waits; when it
// is done, what fell out goes. A bad rule is refused beside its field and changes nothing;
// someone else's source or item is a 404.
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: retention and pinning', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness({ config: { followCheckEvery: '1s', retentionCheckEvery: '1s', submissionsPerHour: 100 } }) })
  after(async () => h?.stop())

  const retentionRuns = async () => (await h.host.db('schedule_runs').where({ id: 'youtube.retention' }).first())?.last_run_at as Date | undefined

  it('keeps the newest N and pinned videos, never while a download of the source runs, and tells Plex', async () => {
    const url = h.videos.setChannel('keeper', 'Keeper', ['k-4', 'k-3', 'k-2', 'k-1'].map((clip, i) => ({ clip, title: `Video ${4 - i}`, date: `2026-05-0${4 - i}` })))
    const folder = path.join(h.libraryPath, 'Keeper')
    const file = (n: number) => path.join(folder, `2026-05-0${n} - Video ${n} [k-${n}].mp4`)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'newest', newest: '3' })).status).to.equal(303)
    const [first] = await rows(h.host, user.id)
    await waitForStatus(h.host, first.id, 'completed', 90_000)
    const [follow] = await h.host.db('youtube_follows').where({ user_id: user.id })
    const items = await h.host.db('youtube_items').where({ archive_key: follow.archive_key }).orderBy('upload_date', 'desc')
    expect(items.map((i) => [i.video_id, i.file_path, i.pinned, i.deleted_at])).to.deep.equal([
      ['k-4', file(4), false, null], ['k-3', file(3), false, null], ['k-2', file(2), false, null],
    ])

    // The source's page lists them newest first, each with Pin.
    const page = (await client.get(`/youtube/follows/${follow.id}`)).text
    expect(page.indexOf('Video 4')).to.be.lessThan(page.indexOf('Video 3'))
    const k2 = items[2]
    expect(page).to.include(`action="/youtube/follows/${follow.id}/items/${k2.id}/pin"`)
    expect((await client.post(`/youtube/follows/${follow.id}/items/${k2.id}/pin`, { pinned: 'true' })).status).to.equal(303)
    expect((await h.host.db('youtube_items').where({ id: k2.id }).first()).pinned).to.equal(true)

    // A bad rule: refused beside its field, nothing saved.
    for (const [body, message] of [[{ keep: 'newest', count: '0' }, 'Keep at least 1.'], [{ keep: 'days', days: 'x' }, 'Give a number of days.'], [{ keep: 'forever' }, 'Choose what to keep.']] as const) {
      const bad = await client.post(`/youtube/follows/${follow.id}/keep`, body)
      expect(bad.status, JSON.stringify(body)).to.equal(422)
      expect(bad.text).to.include(`id="youtube-follow-keep-${follow.id}-error"`).and.include(message)
    }
    expect(await h.host.db('youtube_follows').where({ id: follow.id }).first()).to.include({ keep: 'all', keep_count: null })

    const refreshesBefore = h.pms.refreshes().length
    expect((await client.post(`/youtube/follows/${follow.id}/keep`, { keep: 'newest', count: '1' })).status).to.equal(303)
    await waitFor('the middle video removed', async () => (await h.host.db('youtube_items').where({ video_id: 'k-3' }).first()).deleted_at)
    expect(fs.existsSync(file(3))).to.equal(false)
    expect(fs.existsSync(file(3).replace(/\.mp4$/, '.jpg'))).to.equal(false)
    for (const n of [4, 2]) expect(fs.existsSync(file(n)), `video ${n}`).to.equal(true)
    expect(((await h.host.db('youtube_downloads').where({ id: first.id }).first()).file_paths as string[]).slice().sort()).to.deep.equal([file(2), file(4)])
    await waitFor('Plex asked to rescan the folder', () => h.pms.refreshes().slice(refreshesBefore).some((r) => r.path === folder))
    expect((await client.get(`/youtube/follows/${follow.id}`)).text).to.include('Removed ').and.include('Pinned')

    // A new upload held mid-download: retention runs but does not touch the source, even
    // with the old video unpinned meanwhile.
    h.videos.upload('keeper', { clip: 'k-5', title: 'Video 5', date: '2026-05-05' })
    h.videos.gate('k-5', 2000)
    await h.host.db('youtube_follows').where({ id: follow.id }).update({ next_check_at: new Date(Date.now() - 1000) })
    await h.videos.waitParked('k-5')
    await client.post(`/youtube/follows/${follow.id}/items/${k2.id}/pin`, { pinned: 'false' })
    expect((await h.host.db('youtube_items').where({ id: k2.id }).first()).pinned).to.equal(false)
    const parkedAt = new Date()
    await waitFor('two retention passes while it runs', async () => {
      const last = await retentionRuns()
      return last && last.getTime() > parkedAt.getTime() + 1000
    }, 30_000)
    for (const n of [4, 2]) expect(fs.existsSync(file(n)), `video ${n} while downloading`).to.equal(true)
    h.videos.open()
    await waitFor('the older videos removed once it is done', async () => (await h.host.db('youtube_items').where({ archive_key: follow.archive_key }).whereNull('deleted_at').select('video_id')).map((i) => i.video_id).join() === 'k-5', 90_000)
    for (const n of [4, 2]) expect(fs.existsSync(file(n)), `video ${n}`).to.equal(false)
    expect(fs.existsSync(path.join(folder, '2026-05-05 - Video 5 [k-5].mp4'))).to.equal(true)
  })

  it('answers 404 for someone else’s source or item, and changes nothing', async () => {
    const url = h.videos.setChannel('mine', 'Mine', ['m-1'])
    const owner = await h.host.signedIn()
    expect((await submit(owner.client, url, { start: 'newest', newest: '1' })).status).to.equal(303)
    const [row] = await rows(h.host, owner.user.id)
    await waitForStatus(h.host, row.id, 'completed', 90_000)
    const [follow] = await h.host.db('youtube_follows').where({ user_id: owner.user.id })
    const [item] = await h.host.db('youtube_items').where({ archive_key: follow.archive_key })
    const other = await h.host.signedIn()
    await other.client.get('/youtube')
    expect((await other.client.get(`/youtube/follows/${follow.id}`)).status).to.equal(404)
    expect((await other.client.post(`/youtube/follows/${follow.id}/items/${item.id}/pin`, { pinned: 'true' })).status).to.equal(404)
    expect((await other.client.post(`/youtube/follows/${follow.id}/keep`, { keep: 'newest', count: '1' })).status).to.equal(404)
    expect((await owner.client.post(`/youtube/follows/${follow.id}/items/not-a-uuid/pin`, { pinned: 'true' })).status).to.equal(404)
    expect(await h.host.db('youtube_items').where({ id: item.id }).first()).to.include({ pinned: false })
    expect(await h.host.db('youtube_follows').where({ id: follow.id }).first()).to.include({ keep: 'all' })
  })
})
