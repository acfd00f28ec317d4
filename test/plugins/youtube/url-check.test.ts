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

  it('lets an allowed host through, by name or by name and port', () => {
    expect(checkPlaylistUrl('http://127.0.0.1:8080/list.html', ['127.0.0.1'])).to.deep.equal({ ok: true, url: 'http://127.0.0.1:8080/list.html' })
    expect(checkPlaylistUrl('http://127.0.0.1:8080/list.html', ['127.0.0.1:8080'])).to.deep.include({ ok: true })
    expect(checkPlaylistUrl('http://127.0.0.1:9090/list.html', ['127.0.0.1:8080'])).to.deep.include({ ok: false })
  })

  it('knows private and loopback hosts', () => {
    for (const h of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '[::1]', 'fd00::1', 'localhost', 'a.localhost', '0.0.0.0']) expect(isPrivateHost(h), h).to.equal(true)
    for (const h of ['www.youtube.com', '8.8.8.8', '172.32.0.1']) expect(isPrivateHost(h), h).to.equal(false)
  })
})
