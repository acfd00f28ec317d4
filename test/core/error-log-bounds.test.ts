import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { waitFor } from '../support/wait-for.ts'
import { pruneErrorLogs } from '../../core/http/error-recorder.ts'
import { toCount } from '../../core/db.ts'

const errorsPlugins = fileURLToPath(new URL('../fixtures/first-party-errors', import.meta.url))
const DAY_MS = 86_400_000

describe('error log: bounded, whoever is asking', function () {
  this.timeout(120_000)
  let host: TestHost

  before(async () => {
    host = await startTestHost({ firstPartyDir: errorsPlugins, plugins: { explode: { enabled: true } }, config: { errorLog: { maxRows: 100 } } })
  })
  after(async () => { await host.stop() })

  const rowsLike = async (id: string) => toCount((await host.db('error_logs').where('correlation_id', 'like', id).count('* as n').first())?.n)
  const rowCount = async () => toCount((await host.db('error_logs').count('* as n').first())?.n)

  describe('refused requests (4xx)', () => {
    it('writes no row for 100 anonymous POSTs to /logout/x, and one summary row at the window\'s end', async () => {
      await host.app.errorRecorder.flush()
      const before = await rowCount()
      const client = host.client()
      for (let i = 0; i < 100; i++) {
        const res = await client.post('/logout/x', {}, { noCsrf: true })
        expect(res.status).to.equal(403)
      }
      expect(await rowCount()).to.equal(before)

      await host.app.errorRecorder.flush()
      const summaries = await host.db('error_logs').where({ request_path: '/logout/*' })
      expect(summaries).to.have.length(1)
      expect(summaries[0]).to.include({ status_code: 403, request_method: 'POST', error_code: 'Forbidden', stack_trace: null, user_id: null })
      expect(summaries[0].error_message).to.match(/^100 requests were answered 403 Forbidden between /)
      expect(summaries[0].metadata).to.include({ summary: true, count: 100, dropped: 0 })
      expect(summaries[0].metadata.sampleRequestIds).to.have.length(3)
    })

    it('keeps the number of summary keys bounded when every request names a new path', async () => {
      await host.app.errorRecorder.flush()
      const before = await rowCount()
      const client = host.client()
      for (let i = 0; i < 80; i++) await client.post(`/made-up-${i}/x`, {}, { noCsrf: true })
      await host.app.errorRecorder.flush()
      const written = await host.db('error_logs').where('created_at', '>=', new Date(Date.now() - 60_000)).andWhere('request_path', 'like', '/made-up-%')
      const overflow = await host.db('error_logs').where({ request_path: '/*', status_code: 403 })
      expect(written.length).to.equal(50)
      expect(overflow).to.have.length(1)
      expect(overflow[0].metadata.count).to.equal(30)
      expect(await rowCount()).to.equal(before + 51)
    })

    it('shows a summary row on the admin error log page', async () => {
      const admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
      const refused = await host.client().post('/logout/shown', {}, { noCsrf: true })
      expect(refused.status).to.equal(403)
      await host.app.errorRecorder.flush()
      const row = await host.db('error_logs').where({ request_path: '/logout/*' }).orderBy('created_at', 'desc').first()
      const list = await admin.get('/admin/errors?status=403')
      expect(list.status).to.equal(200)
      expect(list.text).to.contain(`admin-error-${row.id}`).and.contain('1 request was answered 403 Forbidden')
      const entry = await admin.get(`/admin/errors/${row.id}`)
      expect(entry.status).to.equal(200)
      expect(entry.text).to.contain('&quot;summary&quot;: true')
    })
  })

  describe('missing static files', () => {
    for (const path of ['/public/no-such-file.css', '/public/.hidden', '/public/%E0%A4%A', '/public/medianest.css/x', '/vendor/no-such.js', '/vendor/htmx.min.js/extra']) {
      it(`answers ${path} with a plain 404: no stack, no path on disk, no row`, async () => {
        await host.app.errorRecorder.flush()
        const before = await rowCount()
        const res = await host.client().get(path)
        expect(res.status).to.equal(404)
        expect(res.text).to.contain('Not found')
        expect(res.text).not.to.match(/ENOENT|\bat [\w.<>]+ \(|node_modules|Something went wrong/)
        expect(res.text).not.to.contain(process.cwd())
        await host.app.errorRecorder.flush()
        expect(await rowCount()).to.equal(before)
      })
    }
  })

  describe('server errors (5xx)', () => {
    it('still writes a row of its own, with its stack, at once', async () => {
      const client = host.client()
      const res = await client.get('/explode/crash')
      expect(res.status).to.equal(500)
      const row = await host.db('error_logs').where({ correlation_id: res.headers.get('x-request-id')! }).first()
      expect(row).to.include({ status_code: 500, request_path: '/explode/crash' })
      expect(row.stack_trace).to.contain('kaboom')
    })
  })

  describe('retention', () => {
    const insert = (n: number, createdAt: (i: number) => Date, tag: string) => host.db('error_logs').insert(
      Array.from({ length: n }, (_, i) => ({
        correlation_id: `${tag}-${i}`, error_code: tag, error_message: 'old', request_path: '/x', request_method: 'GET',
        status_code: 500, created_at: createdAt(i), metadata: JSON.stringify({}),
      })),
    )

    it('deletes rows older than the retention, then all but the newest maxRows', async () => {
      await host.db('error_logs').delete()
      const now = Date.now()
      await insert(5, () => new Date(now - 40 * DAY_MS), 'expired')
      await insert(30, (i) => new Date(now - i * 60_000), 'recent')
      expect(await pruneErrorLogs(host.db, { retentionMs: 30 * DAY_MS, maxRows: 1000 })).to.deep.equal({ expired: 5, overCap: 0 })
      expect(await rowCount()).to.equal(30)

      // Same timestamps for several rows: the cap still keeps exactly maxRows.
      await insert(30, (i) => new Date(now - 3 * DAY_MS - Math.floor(i / 3) * 1000), 'tied')
      expect(await pruneErrorLogs(host.db, { retentionMs: 30 * DAY_MS, maxRows: 40 })).to.deep.equal({ expired: 0, overCap: 20 })
      const kept = await host.db('error_logs').select('correlation_id')
      expect(kept).to.have.length(40)
      expect(kept.filter((r) => r.correlation_id.startsWith('recent-'))).to.have.length(30)
    })

    it('runs as a core cluster schedule with errorLog.retention and errorLog.maxRows from the config', async () => {
      expect(host.config.errorLog).to.deep.equal({ retention: '30d', maxRows: 100, serverErrorsPerMinute: 60, summaryWindow: '10m' })
      await host.db('error_logs').delete()
      const now = Date.now()
      await insert(3, () => new Date(now - 31 * DAY_MS), 'expired')
      await insert(130, (i) => new Date(now - i * 1000), 'many')
      await host.db('schedule_runs').where({ id: 'core.error-log-retention' }).update({ next_run_at: new Date(0) })
      await waitFor('the retention schedule to run', async () => (await rowCount()) === 100)
      expect(await rowsLike('expired-%')).to.equal(0)
    })
  })
})

describe('error log: a storm of server errors', function () {
  this.timeout(120_000)
  let host: TestHost

  before(async () => {
    host = await startTestHost({ firstPartyDir: errorsPlugins, plugins: { explode: { enabled: true } }, config: { errorLog: { serverErrorsPerMinute: 3 } } })
  })
  after(async () => { await host.stop() })

  it('stores errorLog.serverErrorsPerMinute rows one by one and counts the rest in a summary', async () => {
    const client = host.client()
    for (let i = 0; i < 10; i++) expect((await client.get('/explode/crash')).status).to.equal(500)
    const single = await host.db('error_logs').where({ request_path: '/explode/crash' })
    expect(single).to.have.length(3)
    await host.app.errorRecorder.flush()
    const summary = await host.db('error_logs').where({ request_path: '/explode/*' })
    expect(summary).to.have.length(1)
    expect(summary[0]).to.include({ status_code: 500, error_code: 'Error', stack_trace: null })
    expect(summary[0].metadata).to.include({ summary: true, count: 7, dropped: 7 })
    expect(summary[0].error_message).to.contain('7 not stored one by one')
  })
})
