// youtube: submitting a playlist. The address is checked before any process starts; the
// metadata read shows title and item count; quotas, caps and duplicates are refused with
// words beside the field, and nothing is written.
import { expect } from 'chai'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: submit a playlist', function () {
  this.timeout(120_000)
  let h: Harness

  before(async () => {
    h = await startHarness({ config: { submissionsPerHour: 1000, maxActivePerUser: 2, maxFollowsPerUser: 1 } })
    h.videos.setPlaylist('tiny', 'Tiny Playlist', ['s-one', 's-two'])
  })
  after(async () => h?.stop())

  const hostile = [
    ['starts with a dash', '-o/tmp/x'],
    ['carries --exec', 'https://www.youtube.com/watch?v=abcdefghijk&x=--exec=rm'],
    ['contains a newline', 'https://www.youtube.com/watch?v=abcdefghijk\n--exec'],
    ['is a file:// address', 'file:///etc/passwd'],
    ['is javascript:', 'javascript:alert(1)'],
    ['is a private host not allowed', 'http://192.168.1.10/list.html'],
    ['is localhost not allowed', 'http://localhost:8080/x.mp4'],
    ['is 5 KB long', `https://www.youtube.com/watch?v=abcdefghijk&pad=${'a'.repeat(5000)}`],
    ['is a YouTube address without a playlist or video id', 'https://www.youtube.com/feed/trending'],
    ['is another site', 'https://vimeo.com/12345'],
  ]
  for (const [what, url] of hostile) {
    it(`refuses an address that ${what}, before any process starts, and writes nothing`, async () => {
      const { client, user } = await h.host.signedIn()
      const before = h.runs().length
      const res = await submit(client, url)
      expect(res.status).to.equal(422)
      expect(res.text).to.include('aria-invalid="true"').and.include('youtube-form-url-error')
      expect(h.runs().length, 'no yt-dlp process').to.equal(before)
      expect(await rows(h.host, user.id)).to.have.length(0)
    })
  }

  it('escapes what it echoes back', async () => {
    const { client } = await h.host.signedIn()
    const res = await submit(client, 'https://example.com/"><script>alert(1)</script>')
    expect(res.status).to.equal(422)
    expect(res.text).not.to.include('<script>alert(1)</script>')
  })

  it('refuses a playlist that does not exist, with yt-dlp’s reason', async () => {
    const { client, user } = await h.host.signedIn()
    const res = await submit(client, `${h.videos.url}/lists/missing.html`)
    expect(res.status).to.equal(422)
    expect(res.text).to.include('yt-dlp could not read that address')
    expect(await rows(h.host, user.id)).to.have.length(0)
  })

  it('reads title and item count, queues it, and the URL reaches yt-dlp only after --', async () => {
    h.videos.gate('s-one', 4000)
    const { client, user } = await h.host.signedIn()
    const res = await client.post('/youtube', { url: h.videos.playlistUrl('tiny') }, { htmx: true })
    expect(res.status, res.text.slice(0, 500)).to.equal(201)
    expect(res.text).to.include('Queued “Tiny Playlist”: 2 items.')
    const [row] = await rows(h.host, user.id)
    expect(row.playlist_title).to.equal('Tiny Playlist')
    expect(row.item_count).to.equal(2)
    const meta = h.runs().filter((r) => r.includes('--flat-playlist')).pop()!
    expect(meta).to.include('--ignore-config').and.match(new RegExp(`-- ${h.videos.playlistUrl('tiny').replace(/[.?]/g, '\\$&')}$`))

    // The same playlist again while it is queued or running: refused, with a link to it.
    const again = await submit(client, h.videos.playlistUrl('tiny'))
    expect(again.status).to.equal(422)
    expect(again.text).to.include('already downloading this playlist').and.include(`#youtube-download-${row.id}`)
    expect(await rows(h.host, user.id)).to.have.length(1)
    h.videos.open()
    await waitForStatus(h.host, row.id, 'completed')
  })

  it('caps queued and running downloads per person, and followed playlists', async () => {
    h.videos.setPlaylist('cap-a', 'Cap A', ['s-one'])
    h.videos.setPlaylist('cap-b', 'Cap B', ['s-one'])
    h.videos.setPlaylist('cap-c', 'Cap C', ['s-one'])
    h.videos.gate('s-one', 4000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('cap-a'), { follow: 'on' })).status).to.equal(303)
    expect((await submit(client, h.videos.playlistUrl('cap-b'))).status).to.equal(303)
    const third = await submit(client, h.videos.playlistUrl('cap-c'))
    expect(third.status).to.equal(422)
    expect(third.text).to.include('2 downloads queued or running, the most at once')
    expect(await rows(h.host, user.id)).to.have.length(2)
    expect(await h.host.db('youtube_follows').where({ user_id: user.id })).to.have.length(1)
    // Cancel one: now there is room, but a second follow is over the follow cap (1).
    const [a] = await rows(h.host, user.id)
    expect((await client.post(`/youtube/downloads/${a.id}/cancel`)).status).to.equal(303)
    const follow = await submit(client, h.videos.playlistUrl('cap-c'), { follow: 'on' })
    expect(follow.status).to.equal(422)
    expect(follow.text).to.include('You follow 1 playlists, the most allowed').and.include('youtube-form-follow-error')
    expect(await rows(h.host, user.id)).to.have.length(2)
    h.videos.open()
  })

  it('limits accepted submissions per hour; refused addresses do not use up the allowance', async () => {
    const limited = await startHarness({ config: { submissionsPerHour: 2 } })
    try {
      limited.videos.setPlaylist('lim-a', 'Limit A', ['s-one'])
      limited.videos.setPlaylist('lim-b', 'Limit B', ['s-one'])
      limited.videos.setPlaylist('lim-c', 'Limit C', ['s-one'])
      const { client } = await limited.host.signedIn()
      await client.get('/youtube')
      // Five mistakes (each a 422) ...
      for (let i = 0; i < 5; i++) expect((await client.post('/youtube', { url: 'not a url' })).status).to.equal(422)
      // ... and the valid ones still go through, up to the limit.
      for (const list of ['lim-a', 'lim-b']) expect((await client.post('/youtube', { url: limited.videos.playlistUrl(list) })).status, list).to.be.oneOf([200, 303])
      const third = await client.post('/youtube', { url: limited.videos.playlistUrl('lim-c') })
      expect(third.status).to.equal(429)
      expect(await limited.host.db('youtube_downloads').where({ playlist_title: 'Limit C' }).first()).to.equal(undefined)
    } finally {
      await limited.stop()
    }
  })

  it('does not let anyone signed out submit', async () => {
    const client = h.host.client()
    const before = (await rows(h.host)).length
    // A playlist of its own: earlier tests' downloads may still be running yt-dlp meanwhile.
    h.videos.setPlaylist('signed-out', 'Nobody’s Playlist', ['o-one'])
    const url = h.videos.playlistUrl('signed-out')
    const res = await client.post('/youtube', { url })
    expect(res.status).to.be.oneOf([302, 303, 401, 403])
    expect(await rows(h.host)).to.have.length(before)
    expect(h.runs().filter((run) => run.includes(url))).to.deep.equal([])
  })
})
