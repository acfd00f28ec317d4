// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: following a playlist. A followed playlist that gains an item on the loopback
// site gets exactly that item at the next check, into the same folder and the same Plex
// collection, with a youtube.playlist.updated event; people see and stop their follows.
import path from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'
import { received } from './fixtures/youtube-listener/index.ts'

describe('youtube: follow a playlist', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness({ listen: true, config: { followCheckEvery: '1s' } }) })
  after(async () => h?.stop())

  it('downloads only the new item at the next check and adds it to the same collection', async () => {
    h.videos.setPlaylist('grow', 'Growing List', ['g-one', 'g-two'])
    const file = (i: number) => path.join(h.libraryPath, 'Growing List', `undated - Growing List (${i}) [grow-${i}].mp4`)
    for (const i of [1, 2, 3]) h.pms.addItem(h.section.key, { file: file(i) })
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('grow'), { follow: 'on' })).status).to.equal(303)
    const [first] = await rows(h.host, user.id)
    await waitForStatus(h.host, first.id, 'completed')
    await waitFor('the first collection', async () => (await rows(h.host, user.id))[0].plex_state === 'done', 60_000)
    expect(h.pms.collections().filter((c) => c.title === 'Growing List')).to.have.length(1)
    const [follow] = await h.host.db('youtube_follows').where({ user_id: user.id })
    expect(follow.playlist_title).to.equal('Growing List')
    expect((await client.get('/youtube')).text).to.include(`id="youtube-follow-${follow.id}"`)

    // Nothing new: a check queues nothing.
    await h.host.db('youtube_follows').where({ id: follow.id }).update({ next_check_at: new Date(Date.now() - 1000) })
    await waitFor('the check', async () => (await h.host.db('youtube_follows').where({ id: follow.id }).first()).last_checked_at)
    expect(await rows(h.host, user.id)).to.have.length(1)

    h.videos.addToPlaylist('grow', 'g-three')
    const before = h.videos.requests.length
    await h.host.db('youtube_follows').where({ id: follow.id }).update({ next_check_at: new Date(Date.now() - 1000) })
    const second = await waitFor('a download of the new item', async () => (await rows(h.host, user.id)).find((r) => r.id !== first.id))
    const done = await waitForStatus(h.host, second.id, 'completed')
    expect(done.file_paths).to.deep.equal([file(3)])
    expect(h.videos.requests.slice(before).map((r) => r.path)).to.deep.equal(['/media/g-three.mp4'])
    await waitFor('the collection update', async () => (await h.host.db('youtube_downloads').where({ id: second.id }).first()).plex_state === 'done', 60_000)
    const collections = h.pms.collections().filter((c) => c.title === 'Growing List')
    expect(collections).to.have.length(1)
    expect(collections[0].items).to.have.length(3)

    const updated = await waitFor('the event', () => received.find((e) => e.event === 'youtube.playlist.updated' && e.payload.userId === user.id))
    expect(updated.payload.newItems).to.equal(1)
    expect(updated.words).to.deep.include({ title: 'New items in a followed playlist' })
    await waitFor('the completed events', () => received.filter((e) => e.event === 'youtube.download.completed' && e.payload.userId === user.id).length === 2)

    const other = await h.host.signedIn()
    await other.client.get('/youtube')
    const other0 = () => other.client.post(`/youtube/follows/${follow.id}/interval`, { hours: '1' })
    // The interval can be set per playlist: a bad one is refused beside its field.
    const bad = await client.post(`/youtube/follows/${follow.id}/interval`, { hours: '0' })
    expect(bad.status).to.equal(422)
    expect(bad.text).to.include(`youtube-follow-hours-${follow.id}-error`).and.include('At least every hour.')
    expect((await h.host.db('youtube_follows').where({ id: follow.id }).first()).every_hours).to.equal(null)
    expect((await client.post(`/youtube/follows/${follow.id}/interval`, { hours: '12' })).status).to.equal(303)
    const changed = await h.host.db('youtube_follows').where({ id: follow.id }).first()
    expect(changed.every_hours).to.equal(12)
    expect(changed.next_check_at.getTime()).to.be.greaterThan(Date.now() + 11 * 3_600_000)

    // Someone else cannot stop it or change it; the owner can.
    expect((await other0()).status).to.equal(404)
    expect((await other.client.post(`/youtube/follows/${follow.id}/stop`)).status).to.equal(404)
    expect(await h.host.db('youtube_follows').where({ id: follow.id })).to.have.length(1)
    expect((await client.post(`/youtube/follows/${follow.id}/stop`)).status).to.equal(303)
    expect(await h.host.db('youtube_follows').where({ id: follow.id })).to.have.length(0)
  })
})
