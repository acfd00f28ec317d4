// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: a playlist already in the library is not copied again. Submitting it a second
// time (by anyone) offers "Check for new items"; that downloads only what is new into the
// same folder and the same Plex collection, and says so when there is nothing new.
// Deleting asks first, and the delete that empties the collection removes it from Plex.
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: a playlist submitted again', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => h?.stop())

  it('offers "check for new items" instead of a copy, and fetches only the new item into the same collection', async () => {
    h.videos.setPlaylist('again', 'Again List', ['a-one', 'a-two'])
    const file = (i: number) => path.join(h.libraryPath, 'Again List', `undated - Again List (${i}) [again-${i}].mp4`)
    for (const i of [1, 2, 3]) h.pms.addItem(h.section.key, { file: file(i) })
    const url = h.videos.playlistUrl('again')
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url)).status).to.equal(303)
    const [first] = await rows(h.host, user.id)
    await waitForStatus(h.host, first.id, 'completed')
    await waitFor('the collection', async () => (await rows(h.host, user.id))[0].plex_state === 'done', 60_000)

    // Someone else submits it: refused beside the field, with the button, and nothing written.
    const other = await h.host.signedIn()
    const runsBefore = h.runs().length
    const refused = await submit(other.client, url)
    expect(refused.status).to.equal(422)
    expect(refused.text).to.include('“Again List” is already in the library').and.include('name="again" value="new-items"')
    expect(refused.text).to.match(/<input id="youtube-form-url"[^>]*aria-invalid="true"/)
    expect(await rows(h.host)).to.have.length(1)
    expect(h.runs().length, 'no yt-dlp run for a refused copy').to.equal(runsBefore)

    // Checking with nothing new: said so, nothing written.
    const nothing = await submit(other.client, url, { again: 'new-items' })
    expect(nothing.status).to.equal(303)
    expect((await other.client.get('/youtube')).text).to.include('Nothing new')
    expect(await rows(h.host)).to.have.length(1)

    h.videos.addToPlaylist('again', 'a-three')
    const requestsBefore = h.videos.requests.length
    expect((await submit(other.client, url, { again: 'new-items' })).status).to.equal(303)
    const [second] = await rows(h.host, other.user.id)
    expect(second.item_count).to.equal(1)
    expect(second.folder).to.equal(first.folder)
    const done = await waitForStatus(h.host, second.id, 'completed')
    expect(done.file_paths).to.deep.equal([file(3)])
    expect(h.videos.requests.slice(requestsBefore).map((r) => r.path)).to.deep.equal(['/media/a-three.mp4'])
    await waitFor('the collection update', async () => (await h.host.db('youtube_downloads').where({ id: second.id }).first()).plex_state === 'done', 60_000)
    const collections = h.pms.collections().filter((c) => c.title === 'Again List')
    expect(collections).to.have.length(1)
    expect(collections[0].items).to.have.length(3)

    // Deleting asks first: a <dialog> in the row, and the same question as a page without JavaScript.
    const list = (await client.get('/youtube')).text
    expect(list).to.include(`href="/youtube/downloads/${first.id}/delete" data-dialog="youtube-delete-${first.id}"`)
    expect(list).to.match(new RegExp(`<dialog id="youtube-delete-${first.id}" class="confirm"`))
    const confirmPage = await client.get(`/youtube/downloads/${first.id}/delete`)
    expect(confirmPage.status).to.equal(200)
    expect(confirmPage.text).to.include('Delete “Again List”?').and.include('Also delete its 2 files').and.not.include('hx-post')
    expect((await other.client.get(`/youtube/downloads/${first.id}/delete`)).status).to.equal(404)

    // The first delete leaves the collection (the other download's file is still in it); Plex rescans the folder.
    const folder = path.join(h.libraryPath, 'Again List')
    const refreshesOf = () => h.pms.refreshes().filter((r) => r.path === folder).length
    const refreshed = refreshesOf()
    expect((await client.post(`/youtube/downloads/${first.id}/delete`, { files: 'on' })).status).to.equal(303)
    await waitFor('Plex asked to rescan the folder', () => refreshesOf() > refreshed)
    expect(h.pms.collections().filter((c) => c.title === 'Again List')).to.have.length(1)
    expect([1, 2].map((i) => fs.existsSync(file(i)))).to.deep.equal([false, false])
    expect(fs.existsSync(file(3))).to.equal(true)

    // The last one empties it: the collection goes too.
    expect((await other.client.post(`/youtube/downloads/${second.id}/delete`, { files: 'on' })).status).to.equal(303)
    await waitFor('the emptied collection deleted', () => h.pms.collections().every((c) => c.title !== 'Again List'))
    expect(fs.existsSync(file(3))).to.equal(false)
  })

  it('refuses a second download of a playlist someone is downloading right now', async () => {
    h.videos.setPlaylist('busy', 'Busy List', ['b-one'])
    h.videos.gate('b-one', 6000)
    const url = h.videos.playlistUrl('busy')
    const first = await h.host.signedIn()
    expect((await submit(first.client, url)).status).to.equal(303)
    await h.videos.waitParked('b-one')
    const other = await h.host.signedIn()
    for (const extra of [{}, { again: 'new-items' }] as Array<Record<string, string>>) {
      const refused = await submit(other.client, url, extra)
      expect(refused.status).to.equal(422)
      expect(refused.text).to.include('Someone is downloading this playlist right now')
    }
    expect(await rows(h.host, other.user.id)).to.have.length(0)
    h.videos.open()
    await waitForStatus(h.host, (await rows(h.host, first.user.id))[0].id, 'completed')
  })
})
