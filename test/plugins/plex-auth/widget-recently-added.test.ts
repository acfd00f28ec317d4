// The "Recently added on Plex" dashboard card: posters through the image proxy, no token
// anywhere in the page, and words (never a 500) when Plex is down or not set up.
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { startFakePms, type FakePms } from '../../support/fake-pms.ts'
import { configurePlex, removePlex, signedInAdmin } from './server-setup.ts'

const WIDGET = '/widgets/plex-auth/recently-added'

describe('plex-auth: the recently added card', function () {
  this.timeout(60_000)
  let host: TestHost
  let pms: FakePms

  before(async () => {
    pms = await startFakePms()
    host = await startTestHost({ plugins: { 'plex-auth': { enabled: true } } })
  })
  after(async () => {
    await host?.stop()
    await pms?.close()
  })
  afterEach(async () => pms.recover())

  it('is on every signed-in dashboard', async () => {
    const { client } = await host.signedIn()
    const page = await client.get('/')
    expect(page.text).to.include('id="plex-auth-widget-recently-added"')
    expect(page.text).to.include('Recently added on Plex')
  })

  it('says Plex is not set up yet, and tells an admin where to set it up', async () => {
    await removePlex(host)
    const { client } = await host.signedIn()
    const card = await client.get(WIDGET, { htmx: true })
    expect(card.status).to.equal(200)
    expect(card.text).to.include('Plex is not set up yet')
    expect(card.text).not.to.include('/admin/services')
    const { client: admin } = await signedInAdmin(host)
    expect((await admin.get(WIDGET, { htmx: true })).text).to.include('href="/admin/services/new?type=plex"')
  })

  it('shows posters through the image proxy, titles escaped, and never the token or the server', async () => {
    const section = pms.addSection({ type: 'movie', title: 'Movies', locations: ['/m'] })
    const item = pms.addItem(section.key, { file: '/m/x.mp4', title: 'Tom & "Jerry" <script>alert(1)</script>', visible: true })
    await configurePlex(host, pms.url, pms.token)
    for (const { client } of [await host.signedIn(), await signedInAdmin(host)]) {
      const card = await client.get(WIDGET, { htmx: true })
      expect(card.status).to.equal(200)
      expect(card.text).to.include(`<img src="/plex-auth/images/${item.ratingKey}" alt="Tom &amp; &quot;Jerry&quot; &lt;script&gt;alert(1)&lt;/script&gt;" loading="lazy"`)
      expect(card.text).not.to.include('<script>alert(1)')
      expect(card.text).not.to.include(pms.token)
      expect(card.text).not.to.include(pms.url)
      expect(card.text).not.to.include('/library/metadata')
    }
    // The whole page too (the card loads on its own, but a full page render must be clean as well).
    const { client } = await host.signedIn()
    const full = await client.get(WIDGET)
    expect(full.status).to.equal(200)
    expect(full.text).not.to.include(pms.token)
  })

  it('says Plex is unreachable when it is down (never a 500); only admins see the detail', async () => {
    await configurePlex(host, pms.url, pms.token)
    await pms.down()
    const { client } = await host.signedIn()
    const card = await client.get(WIDGET, { htmx: true })
    expect(card.status).to.equal(200)
    expect(card.text).to.include('Plex is unreachable')
    expect(card.text).not.to.include(pms.url)
    const { client: admin } = await signedInAdmin(host)
    const adminCard = await admin.get(WIDGET, { htmx: true })
    expect(adminCard.status).to.equal(200)
    expect(adminCard.text).to.include('Plex is unreachable')
    expect(adminCard.text).to.include('Plex server: ')
    expect(adminCard.text).not.to.include(pms.token)
  })

  it('says Plex refused the token (not that it is down), and where an admin fixes it', async () => {
    await configurePlex(host, pms.url, 'wrong-token')
    const { client } = await host.signedIn()
    const card = await client.get(WIDGET, { htmx: true })
    expect(card.status).to.equal(200)
    expect(card.text).to.include("Plex refused MediaNest's token.")
    expect(card.text).not.to.include('wrong-token')
    const { client: admin } = await signedInAdmin(host)
    expect((await admin.get(WIDGET, { htmx: true })).text).to.include('href="/admin/services"')
  })

  it('says Plex is unreachable when the answer is garbage', async () => {
    const { client } = await host.signedIn()
    await configurePlex(host, pms.url, pms.token)
    pms.garbage()
    const card = await client.get(WIDGET, { htmx: true })
    expect(card.status).to.equal(200)
    expect(card.text).to.include('Plex is unreachable')
  })
})
