// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: the admin page (every download, disk space, the programs found and a warning
// for an old yt-dlp), the dashboard card and nav entry, and a missing yt-dlp: the plugin
// stays up, says so on its pages, and refuses submissions with that reason.
import { expect } from 'chai'
import { createApiToken } from '../../../core/auth/api-tokens.ts'
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
    expect(page.text).to.match(/yt-dlp 2023\.03\.04 is \d+ days old/).and.match(/yt-dlp <strong>2023\.03\.04<\/strong>, released \d+ days ago/)
    expect(page.text).to.include('“pipx install yt-dlp”')
    expect(page.text).to.include(' free of ').and.include('the library’s files take')
    expect(page.text).to.include(user.email).and.include('Admin &lt;b&gt;View&lt;/b&gt;').and.not.include('<b>View</b>')
    expect((await client.get('/admin/youtube')).status).to.be.oneOf([403, 404])

    // When each was asked for, in the zone the reading admin chose.
    await h.host.db('youtube_downloads').where({ id: row.id }).update({ created_at: new Date('2026-07-04T16:05:00Z') })
    const zoned = await h.host.signedIn(await h.host.createUser({ role: 'ADMIN', time_zone: 'America/New_York' }))
    expect((await zoned.client.get('/admin/youtube')).text)
      .to.include('<td data-label="Created"><time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 12:05 GMT-4</time></td>')
  })

  it('warns admins of the old yt-dlp on /admin and in /readyz, and tells nobody else', async () => {
    const admin = await h.host.signedIn(await h.host.createUser({ role: 'ADMIN' }))
    const overview = await admin.client.get('/admin')
    expect(overview.text).to.include('id="admin-overview-warnings"').and.match(/<strong>youtube:<\/strong> yt-dlp 2023\.03\.04 is \d+ days old/)

    const details = await admin.client.get('/readyz')
    expect(details.status).to.equal(200)
    const body = JSON.parse(details.text)
    expect(body.status).to.equal('ready')
    const old = body.warnings.find((w: { plugin: string; id: string }) => w.plugin === 'youtube' && w.id === 'yt-dlp-old')
    expect(old.message).to.match(/is \d+ days old/).and.include('pipx install yt-dlp').and.include('pip install -U yt-dlp').and.include('ytDlpPath')

    // Monitoring with an admin's API token gets the same; a person, or no one, gets two words.
    const { token } = await createApiToken(h.host.db, admin.user.id, 'monitoring', 3_600_000)
    const byToken = await fetch(`${h.host.url}/readyz`, { headers: { Authorization: `Bearer ${token}` } })
    const tokenBody = (await byToken.json()) as { warnings: Array<{ id: string }> }
    expect(tokenBody.warnings.map((w) => w.id)).to.include('yt-dlp-old')
    const person = await h.host.signedIn()
    expect(JSON.parse((await person.client.get('/readyz')).text)).to.deep.equal({ status: 'ready' })
    expect(await (await fetch(`${h.host.url}/readyz`)).json()).to.deep.equal({ status: 'ready' })
    expect((await person.client.get('/admin')).status).to.be.oneOf([403, 404])
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
