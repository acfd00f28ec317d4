import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'

describe('account: the profile page', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  after(async () => {
    await host?.stop()
  })

  const userRow = (id: string) => host.db('users').where({ id }).first()

  it('sends a visitor without a session to sign in first', async () => {
    const res = await host.client().get('/account')
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login?next=%2Faccount')
  })

  it('shows the email, the profile form and links to password, sessions and tokens', async () => {
    const { client, user } = await host.signedIn()
    const res = await client.get('/account')
    expect(res.status).to.equal(200)
    expect(res.text).to.include(user.email)
    expect(res.text).to.include('id="account-profile-form"')
    expect(res.text).to.include('name="_csrf"')
    for (const href of ['/account/password', '/account/sessions', '/account/tokens']) {
      expect(res.text).to.include(`href="${href}"`)
    }
  })

  it('saves the name and an https avatar, then redirects (post-redirect-get)', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account')
    const res = await client.post('/account', { name: '  Ada Lovelace ', image: 'https://images.example.com/ada.png' })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/account')
    const row = await userRow(user.id)
    expect(row.name).to.equal('Ada Lovelace')
    expect(row.image).to.equal('https://images.example.com/ada.png')

    const page = await client.get(res.location!)
    expect(page.text).to.include('Your profile was saved.')
    expect(page.text).to.include('<img id="account-avatar" src="https://images.example.com/ada.png"')
  })

  it('clears the name and the avatar when both are left empty', async () => {
    const { client, user } = await host.signedIn(await host.createUser({ image: 'https://example.com/a.png' }))
    await client.get('/account')
    expect((await client.post('/account', { name: '', image: '' })).status).to.equal(303)
    const row = await userRow(user.id)
    expect(row.name).to.equal(null)
    expect(row.image).to.equal(null)
  })

  it('refuses a name over 100 characters with a message on the form, and saves nothing', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account')
    const res = await client.post('/account', { name: 'x'.repeat(101), image: '' })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('Use at most 100 characters for your name.')
    expect(res.text).to.include('<html')
    expect((await userRow(user.id)).name).to.equal(user.name)
  })

  for (const image of ['javascript:alert(1)', 'data:image/svg+xml,<svg onload=alert(1)>', 'ftp://example.com/a.png', '//evil.example/a.png', 'http://images.example.com/a.png', `https://example.com/${'a'.repeat(2000)}`]) {
    it(`refuses the avatar address ${image.slice(0, 30)}… and saves nothing`, async () => {
      const { client, user } = await host.signedIn()
      await client.get('/account')
      const res = await client.post('/account', { name: 'Changed', image })
      expect(res.status).to.equal(422)
      expect(res.text).to.match(/starts with https:\/\/ \(http:\/\/ images cannot be shown|at most 2000 characters/)
      expect(res.text).not.to.include('<img')
      const row = await userRow(user.id)
      expect(row.name).to.equal(user.name)
      expect(row.image).to.equal(null)
    })
  }

  it('never renders a stored avatar whose scheme is not http(s)', async () => {
    const { client } = await host.signedIn(await host.createUser({ image: 'javascript:alert(1)' }))
    const res = await client.get('/account')
    expect(res.status).to.equal(200)
    expect(res.text).not.to.include('<img')
  })

  it('escapes the name everywhere it appears', async () => {
    const { client } = await host.signedIn()
    await client.get('/account')
    await client.post('/account', { name: '<script>alert("x")</script>', image: '' })
    const res = await client.get('/account')
    expect(res.text).not.to.include('<script>alert')
    expect(res.text).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
  })

  it('answers htmx with the form fragment: 200 when saved, 422 with field messages when not', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account')
    const ok = await client.post('/account', { name: 'Grace', image: '' }, { htmx: true })
    expect(ok.status).to.equal(200)
    expect(ok.headers.get('vary')).to.match(/HX-Request/)
    expect(ok.text).not.to.include('<html')
    expect(ok.text).to.match(/^<form id="account-profile-form"/)
    expect(ok.text).to.include('Your profile was saved.')
    expect((await userRow(user.id)).name).to.equal('Grace')

    const bad = await client.post('/account', { name: 'Grace', image: 'javascript:alert(1)' }, { htmx: true })
    expect(bad.status).to.equal(422)
    expect(bad.text).to.match(/^<form id="account-profile-form"/)
    expect(bad.text).to.include('class="field-error"')
    expect(bad.text).to.include('aria-invalid="true"')
  })

  it('refuses a change without the CSRF token', async () => {
    const { client, user } = await host.signedIn()
    const res = await client.post('/account', { name: 'Forged', image: '' }, { noCsrf: true })
    expect(res.status).to.equal(403)
    expect((await userRow(user.id)).name).to.equal(user.name)
  })
})
