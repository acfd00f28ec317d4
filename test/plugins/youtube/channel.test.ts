// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: a channel as a followed source, with the real yt-dlp against the loopback host's
// channel (newest first, 30 to a page, read by the test-only extractor in
// test/support/yt-dlp-plugins as yt-dlp reads YouTube's). Adding it reads one page for its
// name and avatar and queues the newest N into a folder named after it, with Plex-ready
// names, a poster and the date and uploader embedded; a new upload is found on the next
// check after one page and fetched alone. "Only new uploads" downloads nothing until one
// appears. A channel that does not exist, a bad count and a second follow change nothing.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { expect } from 'chai'
import { holdsClip, type ChannelVideo } from '../../support/fake-video-host.ts'
import { waitFor } from '../../support/wait-for.ts'
import { rows, startHarness, submit, waitForStatus, type Harness } from './harness.ts'

const tagsOf = (file: string): Record<string, string> => {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', file], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`ffprobe could not read ${file}: ${run.stderr}`)
  return (JSON.parse(run.stdout) as { format: { tags?: Record<string, string> } }).format.tags ?? {}
}
/** `count` uploads, newest first: episode n was uploaded on day n of 2026. */
const episodes = (prefix: string, count: number): ChannelVideo[] => Array.from({ length: count }, (_, i) => {
  const n = count - i
  return { clip: `${prefix}-${n}`, title: `ポケットモンスター 第${n}話`, date: new Date(Date.UTC(2026, 0, n)).toISOString().slice(0, 10) }
})
const due = (h: Harness, followId: string) => h.host.db('youtube_follows').where({ id: followId }).update({ next_check_at: new Date(Date.now() - 1000) })
const listingRuns = (h: Harness, handle: string) => h.runs().filter((r) => r.includes('--flat-playlist') && r.includes(`/@${handle}/`))

describe('youtube: a channel as a source', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness({ config: { followCheckEvery: '1s', submissionsPerHour: 100 } }) })
  after(async () => h?.stop())

  it('queues the newest N into its own folder, then fetches only a new upload after one listing page', async () => {
    const url = h.videos.setChannel('pokemon', 'ポケモン公式', episodes('pk', 40))
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'newest', newest: '2' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    expect(row).to.include({ kind: 'channel', playlist_title: 'ポケモン公式', item_count: 2 })
    expect(row.thumbnail_url).to.equal(`${h.videos.url}/pictures/avatar-pokemon.png`)
    // Its name, avatar and newest two: one listing read, one page.
    expect(listingRuns(h, 'pokemon')).to.have.length(1)
    expect(listingRuns(h, 'pokemon')[0]).to.include('-I 1:30')
    expect(h.videos.channelPages('pokemon')).to.equal(1)

    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    const folder = path.join(h.libraryPath, 'ポケモン公式')
    const name = (n: number) => `2026-${n > 31 ? '02' : '01'}-${String(n > 31 ? n - 31 : n).padStart(2, '0')} - ポケットモンスター 第${n}話 [pk-${n}]`
    expect(fs.readdirSync(folder).sort()).to.deep.equal([`${name(39)}.jpg`, `${name(39)}.mp4`, `${name(40)}.jpg`, `${name(40)}.mp4`, 'poster.jpg'])
    const tags = tagsOf(path.join(folder, `${name(40)}.mp4`))
    expect(tags).to.include({ title: 'ポケットモンスター 第40話', date: '20260209', artist: 'ポケモン公式' })
    expect(tags.description).to.equal('About ポケットモンスター 第40話.')
    expect(holdsClip(path.join(folder, `${name(40)}.mp4`), 'pk-40')).to.equal(true)
    expect(done.file_paths).to.have.length(2)

    const [follow] = await h.host.db('youtube_follows').where({ user_id: user.id })
    expect(follow).to.include({ kind: 'channel', folder: 'ポケモン公式', archive_key: row.archive_key })
    const page = (await client.get('/youtube')).text
    expect(page).to.include(`id="youtube-follow-${follow.id}"`).and.include('Channel')

    // A new upload: the check reads one page, stops at the first known upload, and fetches only it.
    h.videos.upload('pokemon', { clip: 'pk-41', title: 'ポケットモンスター 第41話', date: '2026-02-10' })
    const pagesBefore = h.videos.channelPages('pokemon')
    await due(h, follow.id)
    const second = await waitFor('the new upload queued', async () => (await rows(h.host, user.id)).find((r) => r.id !== row.id))
    expect(h.videos.channelPages('pokemon') - pagesBefore).to.equal(1)
    expect(listingRuns(h, 'pokemon').at(-1)).to.include('-I 1:30')
    expect(second).to.include({ kind: 'channel', item_count: 1, folder: 'ポケモン公式', follow_id: follow.id })
    expect(second.item_urls).to.deep.equal([`${h.videos.url}/watch/pk-41`])
    const again = await waitForStatus(h.host, second.id, 'completed', 90_000)
    expect(again.file_paths).to.deep.equal([path.join(folder, '2026-02-10 - ポケットモンスター 第41話 [pk-41].mp4')])
    // Nothing older was fetched: the 38 older uploads were never asked for.
    expect(h.videos.requests.filter((r) => /\/media\/pk-(\d|[1-3]\d)\.mp4$/.test(r.path) && !/pk-39/.test(r.path))).to.deep.equal([])
  })

  it('after a first download that never happened, the check finds only the newest N again, after one page', async () => {
    const url = h.videos.setChannel('stalled', 'Stalled Channel', episodes('st', 40))
    h.videos.gate('st-40', 1000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'newest', newest: '2' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    expect(row).to.include({ item_count: 2, archive_start: 28 })
    await h.videos.waitParked('st-40')
    expect((await client.post(`/youtube/downloads/${row.id}/cancel`)).status).to.equal(303)
    await waitForStatus(h.host, row.id, 'cancelled')
    h.videos.open()
    const [follow] = await h.host.db('youtube_follows').where({ user_id: user.id })
    const pages = h.videos.channelPages('stalled')
    await due(h, follow.id)
    const again = await waitFor('the check to queue', async () => (await rows(h.host, user.id)).find((r) => r.id !== row.id))
    // The rest of the first page was written down as known: two uploads, not 38.
    expect(again.item_urls).to.deep.equal([`${h.videos.url}/watch/st-40`, `${h.videos.url}/watch/st-39`])
    expect(h.videos.channelPages('stalled') - pages).to.equal(1)
    await waitForStatus(h.host, again.id, 'completed', 90_000)
  })

  it('with “only new uploads” downloads nothing now, then the first new upload alone', async () => {
    const url = h.videos.setChannel('quiet', 'Quiet Channel', episodes('qt', 5))
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'new' })).status).to.equal(303)
    expect(await rows(h.host, user.id)).to.deep.equal([])
    const [follow] = await h.host.db('youtube_follows').where({ user_id: user.id })
    expect(follow).to.include({ kind: 'channel', playlist_title: 'Quiet Channel' })
    expect(h.videos.requests.filter((r) => r.path.startsWith('/media/qt-'))).to.deep.equal([])

    await due(h, follow.id)
    await waitFor('the check', async () => (await h.host.db('youtube_follows').where({ id: follow.id }).first()).last_checked_at)
    expect(await rows(h.host, user.id)).to.deep.equal([])

    h.videos.upload('quiet', { clip: 'qt-6', title: 'Sixth', date: '2026-03-01' })
    await due(h, follow.id)
    const row = await waitFor('the new upload queued', async () => (await rows(h.host, user.id))[0])
    expect(row.item_count).to.equal(1)
    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    expect(done.file_paths).to.deep.equal([path.join(h.libraryPath, 'Quiet Channel', '2026-03-01 - Sixth [qt-6].mp4')])
  })

  it('keeps the rest of a source when one upload is members-only, saying which and why', async () => {
    const url = h.videos.setChannel('members', 'Members Channel', [
      { clip: 'mb-3', title: 'Third', date: '2026-04-03' }, { clip: 'mb-2', title: 'For members', date: '2026-04-02', membersOnly: true }, { clip: 'mb-1', title: 'First', date: '2026-04-01' },
    ])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'newest', newest: '3' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    const folder = path.join(h.libraryPath, 'Members Channel')
    expect(done.file_paths!.slice().sort()).to.deep.equal([path.join(folder, '2026-04-01 - First [mb-1].mp4'), path.join(folder, '2026-04-03 - Third [mb-3].mp4')])
    expect(done.items_done).to.equal(2)
    expect(done.notes).to.include('Not downloaded: mb-2: Join this channel to get access to members-only content')
    expect((await client.get('/youtube')).text).to.include('Not downloaded: mb-2: Join this channel')
  })

  it('names a folder and files safely for a channel called "..." with titles of only dots or 500 letters', async () => {
    const url = h.videos.setChannel('odd', '...', [{ clip: 'od-2', title: 'あ'.repeat(500), date: '2026-07-02' }, { clip: 'od-1', title: '....', date: '2026-07-01' }])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, url, { start: 'newest', newest: '2' })).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    const done = await waitForStatus(h.host, row.id, 'completed', 90_000)
    expect(row.folder).to.equal(`channel-${row.archive_key.slice(0, 8)}`)
    expect(done.file_paths).to.have.length(2)
    for (const file of done.file_paths!) {
      expect(path.dirname(file)).to.equal(path.join(h.libraryPath, row.folder))
      expect(Buffer.byteLength(path.basename(file))).to.be.at.most(255)
      expect(fs.statSync(file).size).to.be.greaterThan(0)
    }
    expect(done.file_paths!.map((f) => path.basename(f)).sort()).to.satisfy((names: string[]) => names[0].startsWith('2026-07-01 - ') && names[0].endsWith(' [od-1].mp4') && names[1].startsWith(`2026-07-02 - ${'あ'.repeat(10)}`))
  })

  it('refuses an empty channel for “newest” and follows it for “only new”', async () => {
    const url = h.videos.setChannel('empty', 'Empty Channel', [])
    const { client, user } = await h.host.signedIn()
    const refused = await submit(client, url, { start: 'newest', newest: '5' })
    expect(refused.status).to.equal(422)
    expect(refused.text).to.include('That channel has no uploads yet.')
    expect(await h.host.db('youtube_follows').where({ user_id: user.id })).to.deep.equal([])
    expect((await submit(client, url, { start: 'new' })).status).to.equal(303)
    expect(await h.host.db('youtube_follows').where({ user_id: user.id })).to.have.length(1)
    expect(await rows(h.host, user.id)).to.deep.equal([])
  })

  it('refuses a channel that does not exist, a bad count and a second follow, writing nothing', async () => {
    const url = h.videos.setChannel('once', 'Once', episodes('on', 3))
    const { client, user } = await h.host.signedIn()
    const missing = await submit(client, `${h.videos.url}/@nobody-here/videos`, { start: 'newest', newest: '2' })
    expect(missing.status).to.equal(422)
    expect(missing.text).to.include('This channel does not exist.')
    for (const newest of ['0', '51', '2.5', 'ten']) {
      const bad = await submit(client, url, { start: 'newest', newest })
      expect(bad.status, newest).to.equal(422)
      expect(bad.text).to.include('id="youtube-form-newest-error"').and.include('Give a whole number from 1 to 50.')
    }
    const start = await submit(client, url, { start: 'sometime' })
    expect(start.status).to.equal(422)
    expect(start.text).to.include('id="youtube-form-start-error"')
    expect(await h.host.db('youtube_follows').where({ user_id: user.id })).to.deep.equal([])
    expect(await rows(h.host, user.id)).to.deep.equal([])

    expect((await submit(client, url, { start: 'new' })).status).to.equal(303)
    const twice = await submit(client, `${url}/`, { start: 'newest', newest: '3' })
    expect(twice.status).to.equal(422)
    expect(twice.text).to.include('You follow this channel already')
    expect(await h.host.db('youtube_follows').where({ user_id: user.id })).to.have.length(1)
    expect(await rows(h.host, user.id)).to.deep.equal([])
  })
})
