// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: the address check alone (no host, no process): what passes and what does not.
import { expect } from 'chai'
import { checkPlaylistUrl, isPrivateHost } from '../../../plugins/youtube/url-check.ts'

describe('youtube: which addresses reach yt-dlp', () => {
  const ok = [
    'https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf',
    'https://youtube.com/watch?v=dQw4w9WgXcQ&list=PL123',
    'https://m.youtube.com/watch?v=ab--cdEfGhI',
    'https://music.youtube.com/playlist?list=OLAK5uy_abc',
    'https://youtu.be/dQw4w9WgXcQ',
    'https://www.youtube.com/shorts/dQw4w9WgXcQ',
  ]
  for (const url of ok) it(`accepts ${url}`, () => expect(checkPlaylistUrl(url, [])).to.deep.include({ ok: true }))

  const refused = [
    '-o/tmp/x', ' --exec=id', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&--exec=id', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ\n',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ\u0000', 'file:///etc/passwd', 'javascript:alert(1)', 'ftp://youtube.com/x',
    'https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ', 'http://127.0.0.1:9/x', 'http://[::1]/x', 'http://10.0.0.2/x',
    'http://169.254.169.254/latest', 'http://nas.local/x', 'http://intranet/x', 'https://www.youtube.com/',
    'https://youtu.be/short', 'https://evil.example/?youtube.com', `https://youtu.be/dQw4w9WgXcQ?x=${'a'.repeat(5000)}`, '', 42,
  ]
  for (const url of refused) it(`refuses ${JSON.stringify(url).slice(0, 60)}`, () => expect(checkPlaylistUrl(url, [])).to.deep.include({ ok: false }))

  // Every channel form, each to one canonical address (so one channel is one source).
  const channels: Array<[string, string]> = [
    ['https://www.youtube.com/@LinusTechTips', 'https://www.youtube.com/@LinusTechTips/videos'],
    ['https://youtube.com/@LinusTechTips/videos', 'https://www.youtube.com/@LinusTechTips/videos'],
    ['https://m.youtube.com/@linus.tech_tips-2/featured?si=abc#top', 'https://www.youtube.com/@linus.tech_tips-2/videos'],
    ['https://www.youtube.com/@LinusTechTips/shorts', 'https://www.youtube.com/@LinusTechTips/shorts'],
    ['https://www.youtube.com/@LinusTechTips/streams/', 'https://www.youtube.com/@LinusTechTips/streams'],
    ['https://www.youtube.com/@ポケモン公式', 'https://www.youtube.com/@%E3%83%9D%E3%82%B1%E3%83%A2%E3%83%B3%E5%85%AC%E5%BC%8F/videos'],
    ['https://www.youtube.com/@%E3%83%9D%E3%82%B1%E3%83%A2%E3%83%B3%E5%85%AC%E5%BC%8F', 'https://www.youtube.com/@%E3%83%9D%E3%82%B1%E3%83%A2%E3%83%B3%E5%85%AC%E5%BC%8F/videos'],
    ['https://www.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw', 'https://www.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw/videos'],
    ['https://music.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw/videos', 'https://www.youtube.com/channel/UCXuqSBlHAE6Xw-yeJA0Tunw/videos'],
    ['https://www.youtube.com/c/LinusTechTips', 'https://www.youtube.com/c/LinusTechTips/videos'],
    ['https://www.youtube.com/user/LinusTechTips/videos', 'https://www.youtube.com/user/LinusTechTips/videos'],
  ]
  for (const [input, canonical] of channels) {
    it(`accepts the channel ${input}`, () => expect(checkPlaylistUrl(input, [])).to.deep.equal({ ok: true, url: canonical, kind: 'channel' }))
  }
  it('reads playlists and videos as playlists', () => {
    expect(checkPlaylistUrl(ok[0], [])).to.deep.include({ kind: 'playlist' })
    expect(checkPlaylistUrl('https://youtu.be/dQw4w9WgXcQ', [])).to.deep.include({ kind: 'playlist' })
  })

  const refusedChannels: Array<[string, RegExp]> = [
    ['https://www.youtube.com/@ab', /3 to 30/],
    [`https://www.youtube.com/@${'a'.repeat(31)}`, /3 to 30/],
    ['https://www.youtube.com/@bad/name/videos', /not a channel address/],
    ['https://www.youtube.com/@bad%2Fname', /not a channel address/],
    ['https://www.youtube.com/@bad%00name', /not a channel address/],
    ['https://www.youtube.com/@a%ZZb', /not spelled correctly/],
    ['https://www.youtube.com/@name!', /not a channel address/],
    ['https://www.youtube.com/@--exec', /option/],
    ['https://www.youtube.com/channel/UCshort', /not a channel address/],
    ['https://www.youtube.com/channel/XXXuqSBlHAE6Xw-yeJA0Tunw', /not a channel address/],
    ['https://www.youtube.com/user/名前', /not a channel address/],
    ['https://www.youtube.com/@LinusTechTips/playlists', /not its “playlists” page/],
    ['https://www.youtube.com/@LinusTechTips/community', /not its “community” page/],
    ['https://evil.example/@LinusTechTips', /Only YouTube addresses/],
  ]
  for (const [input, message] of refusedChannels) {
    it(`refuses the channel ${input.slice(0, 70)}`, () => {
      const check = checkPlaylistUrl(input, [])
      expect(check.ok).to.equal(false)
      expect(check.ok ? '' : check.message).to.match(message)
    })
  }
  it('reads the channel shape on an allowed host too, keeping its host', () => {
    expect(checkPlaylistUrl('http://127.0.0.1:8080/@fake-channel', ['127.0.0.1'])).to.deep.equal({ ok: true, url: 'http://127.0.0.1:8080/@fake-channel/videos', kind: 'channel' })
  })

  it('lets an allowed host through, by name or by name and port', () => {
    expect(checkPlaylistUrl('http://127.0.0.1:8080/list.html', ['127.0.0.1'])).to.deep.equal({ ok: true, url: 'http://127.0.0.1:8080/list.html', kind: 'playlist' })
    expect(checkPlaylistUrl('http://127.0.0.1:8080/list.html', ['127.0.0.1:8080'])).to.deep.include({ ok: true })
    expect(checkPlaylistUrl('http://127.0.0.1:9090/list.html', ['127.0.0.1:8080'])).to.deep.include({ ok: false })
  })

  it('knows private and loopback hosts', () => {
    for (const h of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '[::1]', 'fd00::1', 'localhost', 'a.localhost', '0.0.0.0']) expect(isPrivateHost(h), h).to.equal(true)
    for (const h of ['www.youtube.com', '8.8.8.8', '172.32.0.1']) expect(isPrivateHost(h), h).to.equal(false)
  })
})
