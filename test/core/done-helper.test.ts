// ctx.http.done (1.13), the one way a POST that worked answers: in place for htmx when the
// route can render its target anew, else a whole-page move carrying a one-shot notice.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))

function donePlugin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-done-'))
  fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
const NOTICES = { saved: 'Saved.' }
export default definePlugin({ name: 'done-tour', version: '1.0.0', api: '^1.13.0', register(ctx) {
  const routes = ctx.http.router()
  routes.use(ctx.http.requireUser)
  routes.get('/', (req, res) => { res.type('html').send('<p id="notice">' + (ctx.http.takeFlash(req, res, NOTICES) ?? 'none') + '</p>') })
  routes.post('/in-place', (req, res) => ctx.http.done(req, res, { to: '/done-tour', notice: 'saved', inPlace: () => res.type('html').send('<p>fresh form</p>') }))
  routes.post('/move', (req, res) => ctx.http.done(req, res, { to: '/done-tour', notice: 'saved' }))
  routes.post('/away', (req, res) => ctx.http.done(req, res, { to: 'https://evil.example/' }))
  return { routes }
} })
`)
  return dir
}

describe('ctx.http.done: how a POST that worked answers (plugin API 1.13)', function () {
  this.timeout(60_000)
  let host: TestHost
  let client: TestClient

  before(async () => {
    host = await startTestHost({ plugins: { 'done-tour': { enabled: true, source: donePlugin() } } })
    client = (await host.signedIn()).client
  })
  after(async () => { await host?.stop() })

  it('renders the target anew for htmx, and leaves no notice for a later page', async () => {
    const res = await client.post('/done-tour/in-place', {}, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.equal('<p>fresh form</p>')
    expect((await client.get('/done-tour')).text).to.include('<p id="notice">none</p>')
  })

  it('moves a plain form to the page with its notice, shown once', async () => {
    const res = await client.post('/done-tour/in-place', {})
    expect(res.status).to.equal(303)
    expect(res.headers.get('location')).to.equal('/done-tour')
    expect((await client.get('/done-tour')).text).to.include('<p id="notice">Saved.</p>')
    expect((await client.get('/done-tour')).text).to.include('<p id="notice">none</p>')
  })

  it('moves the whole page for htmx when there is nothing to render in place', async () => {
    const res = await client.post('/done-tour/move', {}, { htmx: true })
    expect(res.status).to.equal(204)
    expect(res.headers.get('hx-redirect')).to.equal('/done-tour')
    expect((await client.get('/done-tour')).text).to.include('<p id="notice">Saved.</p>')
  })

  it('never sends the browser off the site', async () => {
    const res = await client.post('/done-tour/away', {})
    expect(res.status).to.equal(303)
    expect(res.headers.get('location')).to.equal('/')
  })
})
