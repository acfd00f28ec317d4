// Dates as the reader's clock shows them (issue 33, 1.12): the site's zone (config
// timeZone) for people who chose none, a person's own from /account, refused when it is
// not a zone this server knows, and ctx.http.formatDate writing either; (1.13) a date
// written for no request in the site's zone, named, and the page naming its reader's zone.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { loadConfig } from '../../core/config.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))

describe('time zones: the site\'s, a person\'s own, and dates written in them', function () {
  this.timeout(60_000)
  let host: TestHost

  before(async () => {
    host = await startTestHost({ config: { timeZone: 'America/New_York' }, plugins: { 'api-tour': { enabled: true, source: TOUR } } })
  })
  after(async () => { await host?.stop() })

  it('writes dates in the site\'s zone until a person chooses one, then in theirs', async () => {
    const { client, user } = await host.signedIn()
    expect(JSON.parse((await client.get('/api-tour/when')).text)).to.deep.equal({ zone: 'America/New_York', at: '28 Mar 2027, 01:30 GMT-4' })
    const page = await client.get('/account')
    expect(page.text).to.include('<option value="" selected>The site\'s: America/New_York</option>')
    expect((await client.post('/account', { name: '', image: '', time_zone: 'Europe/Berlin' })).status).to.equal(303)
    expect((await host.db('users').where({ id: user.id }).first()).time_zone).to.equal('Europe/Berlin')
    expect(JSON.parse((await client.get('/api-tour/when')).text)).to.deep.equal({ zone: 'Europe/Berlin', at: '28 Mar 2027, 07:30 CEST' })
    expect((await client.get('/account')).text).to.include('<option selected>Europe/Berlin</option>')
    // Back to the site's.
    expect((await client.post('/account', { name: '', image: '', time_zone: '' })).status).to.equal(303)
    expect((await host.db('users').where({ id: user.id }).first()).time_zone).to.equal(null)
  })

  it('writes a date made for no one in particular (null: a push, a job) in the site\'s zone, its abbreviation on every style, whoever asks (1.13)', async () => {
    const { client } = await host.signedIn()
    expect((await client.post('/account', { name: '', image: '', time_zone: 'Europe/Berlin' })).status).to.equal(303)
    expect(JSON.parse((await client.get('/api-tour/when-for-anyone')).text)).to.deep.equal({
      zone: 'America/New_York', datetime: '28 Mar 2027, 01:30 GMT-4', date: '28 Mar 2027, GMT-4', time: '01:30 GMT-4',
    })
  })

  it('names the reader\'s zone on the page, for the script that moves pushed dates into it', async () => {
    const { client } = await host.signedIn()
    const before = (await client.get('/account')).text
    expect(before).to.include('<html lang="en" data-time-zone="America/New_York">')
    expect(before).to.match(/<script src="\/public\/local-times\.[0-9a-f]{12}\.js"><\/script>/)
    await client.post('/account', { name: '', image: '', time_zone: 'Asia/Kolkata' })
    expect((await client.get('/account')).text).to.include('<html lang="en" data-time-zone="Asia/Kolkata">')
  })

  it('refuses a zone this server does not know beside the field, and changes nothing', async () => {
    const { client, user } = await host.signedIn()
    const before = await host.db('users').where({ id: user.id }).first()
    const res = await client.post('/account', { name: 'Renamed', image: '', time_zone: 'Mars/Olympus' }, { htmx: true })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('id="account-time_zone-error"').and.include('Choose a time zone from the list.')
    expect(await host.db('users').where({ id: user.id }).first()).to.deep.equal(before)
  })

  it('refuses a config timeZone that is not a zone, naming the key', () => {
    expect(() => loadConfig({ env: {}, overrides: { timeZone: 'Europe/Atlantis' }, cwd: '/tmp' })).to.throw(/timeZone: an IANA time zone this server knows/)
  })
})
