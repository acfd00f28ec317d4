// hello, as docs/plugins.md asks of every plugin: its job is safe to run again (the
// greeting and its event commit together, once per greeting id), and its form is a
// one-time form (the same rendered form sent twice greets once).
import { expect, startTestHost, waitFor, type TestHost } from 'medianest/testing'

describe('hello: a greeting is written once', function () {
  this.timeout(60_000)
  let host: TestHost

  before(async () => { host = await startTestHost({ plugins: { hello: { enabled: true } } }) })
  after(async () => { await host?.stop() })

  it('run twice for one greeting, writes one row and emits one event', async () => {
    const { client, user } = await host.signedIn()
    expect((await client.post('/hello', { message: 'hi once' })).status).to.equal(303)
    const job = await waitFor('the greet job to finish', async () => host.db('jobs').where({ name: 'hello.greet', status: 'succeeded' }).first(), 15_000)
    const payload = typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload
    expect(payload).to.include({ userId: user.id, message: 'hi once' })
    // The same job again, as a retry after a crash past its commit would run it.
    const definition = host.app.host.plugins.find((p) => p.name === 'hello')!.contributions!.jobs!.find((j) => j.name === 'greet')!
    await definition.run(payload, { attempt: 2, signal: new AbortController().signal } as never)
    const rows = await host.db('hello_greetings').where({ user_id: user.id })
    expect(rows.map((r) => [r.id, r.message])).to.deep.equal([[payload.greetingId, 'hi once']])
    const events = await host.db('jobs').where({ name: 'core.event-delivery' }).whereRaw(`payload::text like '%hello.greeting.sent%'`)
    expect(events).to.have.length(1)
  })

  it('greets once for one rendered form (a double click, Back and resend), and says so the second time', async () => {
    const { client, user } = await host.signedIn()
    const page = await client.get('/hello')
    const once = /name="_once" value="([^"]+)"/.exec(page.text)![1]
    expect((await client.post('/hello', { message: 'just once', _once: once })).status).to.equal(303)
    const again = await client.post('/hello', { message: 'just once', _once: once }, { htmx: true })
    expect(again.status).to.equal(200)
    expect(again.text).to.include('That greeting was already sent, so it was not sent again.')
    await waitFor('the greeting to be written', async () => (await host.db('hello_greetings').where({ user_id: user.id })).length === 1, 15_000)
    expect(await host.db('jobs').where({ name: 'hello.greet' }).whereRaw(`payload->>'userId' = ?`, [user.id])).to.have.length(1)
    // A new render is a new form: it greets again.
    const next = /name="_once" value="([^"]+)"/.exec((await client.get('/hello')).text)![1]
    expect(next).to.not.equal(once)
    expect((await client.post('/hello', { message: 'once more', _once: next })).status).to.equal(303)
    expect(await host.db('jobs').where({ name: 'hello.greet' }).whereRaw(`payload->>'userId' = ?`, [user.id])).to.have.length(2)
  })
})
