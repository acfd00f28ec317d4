// youtube: the admin page (every download, disk space, the programs found and a warning
// for an old yt-dlp), the dashboard card and nav entry, and a missing yt-dlp: the plugin
// stays up, says so on its pages, and refuses submissions with that reason.
import { expect } from 'chai'
import { startHarness, rows, submit, waitForStatus, type Harness } from './harness.ts'

describe('youtube: admin page, dashboard card, and a missing yt-dlp', function () {
  this.timeout(180_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => h?.stop())

  it('shows admins every download, disk space, the versions found and that Debian’s yt-dlp is old', async () => {
    h.videos.setPlaylist('adm', 'Admin <b>View</b>', ['a-one', 'a-two'])
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('adm'))).status).to.equal(303)
    const [row] = await rows(h.host, user.id)
    await waitForStatus(h.host, row.id, 'completed')

    const admin = await h.host.signedIn(await h.host.createUser({ role: 'ADMIN' }))
    const page = await admin.client.get('/admin/youtube')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('yt-dlp <strong>2023.03.04</strong>').and.include('ffmpeg <strong>')
    expect(page.text).to.match(/yt-dlp 2023\.03\.04 is \d+ days old/)
    expect(page.text).to.include(' free of ').and.include('the library’s files take')
    expect(page.text).to.include(user.email).and.include('Admin &lt;b&gt;View&lt;/b&gt;').and.not.include('<b>View</b>')
    expect((await client.get('/admin/youtube')).status).to.be.oneOf([403, 404])
  })

  it('puts running downloads on the dashboard and a nav entry on every page', async () => {
    h.videos.setPlaylist('dash', 'Dash Board', ['b-one', 'b-two'])
    h.videos.gate('b-one', 14_000)
    const { client, user } = await h.host.signedIn()
    expect((await submit(client, h.videos.playlistUrl('dash'))).status).to.equal(303)
    await h.videos.waitParked('b-one')
    const home = await client.get('/')
    expect(home.text).to.include('id="youtube-widget-running"').and.include('href="/youtube"')
    const card = await client.get('/widgets/youtube/running', { htmx: true })
    expect(card.text).to.include('Dash Board').and.include('<progress')
    // Someone else's dashboard does not show it.
    const other = await h.host.signedIn()
    expect((await other.client.get('/widgets/youtube/running', { htmx: true })).text).not.to.include('Dash Board')
    h.videos.open()
    await waitForStatus(h.host, (await rows(h.host, user.id))[0].id, 'completed')
  })

  it('stays up without yt-dlp, says why, and refuses submissions before anything is written', async () => {
    const broken = await startHarness({ config: { ytDlpPath: '/nonexistent/yt-dlp' } })
    try {
      const { client, user } = await broken.host.signedIn()
      const page = await client.get('/youtube')
      expect(page.status).to.equal(200)
      const res = await submit(client, broken.videos.playlistUrl('none'))
      expect(res.status).to.equal(422)
      expect(res.text).to.include('Downloads are unavailable: /nonexistent/yt-dlp was not found')
      expect(await rows(broken.host, user.id)).to.have.length(0)
      const admin = await broken.host.signedIn(await broken.host.createUser({ role: 'ADMIN' }))
      expect((await admin.client.get('/admin/youtube')).text).to.include('yt-dlp is not usable')
    } finally {
      await broken.stop()
    }
  })
})
