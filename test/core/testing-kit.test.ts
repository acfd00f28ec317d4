// medianest/testing as a plugin author uses it (issue 33, part 4): a service configured as
// the admin form would leave it, the shared clock moved from a test, and test databases
// named with the author's own prefix on a shared PostgreSQL server.
import { clock, configureService, databasePrefix, expect, freshDatabase, onPostgres, startTestHost, type TestHost } from 'medianest/testing'

describe('medianest/testing: the kit an author\'s tests import', function () {
  this.timeout(60_000)
  let host: TestHost

  before(async () => { host = await startTestHost({ plugins: { overseerr: { enabled: true } } }) })
  after(async () => { await host?.stop() })
  afterEach(() => {
    clock.reset()
    delete process.env.TEST_DATABASE_PREFIX
  })

  it('configureService seals the key and secret fields as the form does, and a second call updates it', async () => {
    await configureService(host, 'overseerr', { url: 'http://127.0.0.1:5055', apiKey: 'key-1', secretFields: { webhookSecret: 'hook-1' } })
    const ctx = host.app.host.plugins.find((p) => p.name === 'overseerr')!.ctx!
    const first = await ctx.services.get('overseerr')
    expect(first).to.deep.include({ serviceName: 'overseerr', serviceUrl: 'http://127.0.0.1:5055', apiKey: 'key-1', enabled: true })
    expect(first!.fields).to.deep.include({ webhookSecret: 'hook-1' })
    const row = await host.db('service_configs').where({ service_name: 'overseerr' }).first()
    expect(JSON.stringify(row)).to.not.include('key-1').and.not.include('hook-1')

    await configureService(host, 'overseerr', { url: 'http://127.0.0.1:5056', apiKey: 'key-2' })
    expect(await host.db('service_configs').where({ service_name: 'overseerr' })).to.have.length(1)
    expect(await ctx.services.get('overseerr')).to.deep.include({ serviceUrl: 'http://127.0.0.1:5056', apiKey: 'key-2' })
  })

  it('moves every plugin\'s clock from the test', () => {
    const ctx = host.app.host.plugins.find((p) => p.name === 'overseerr')!.ctx!
    const before = ctx.clock.nowMs()
    clock.advance(3 * 86_400_000)
    expect(ctx.clock.nowMs() - before).to.be.at.least(3 * 86_400_000)
  })

  it('names test databases with TEST_DATABASE_PREFIX, and refuses one no database name can hold', async () => {
    expect(databasePrefix()).to.equal('mn_t_')
    process.env.TEST_DATABASE_PREFIX = 'sonarr_cal_'
    expect(databasePrefix()).to.equal('sonarr_cal_')
    if (onPostgres) {
      const db = await freshDatabase()
      try {
        expect(new URL(db.databaseUrl!).pathname).to.match(/^\/sonarr_cal_[0-9a-f]{12}$/)
      } finally {
        await db.drop()
      }
    }
    for (const bad of ['Sonarr', 'x;drop', '1abc', 'a'.repeat(31)]) {
      process.env.TEST_DATABASE_PREFIX = bad
      expect(() => databasePrefix(), bad).to.throw(/is not usable in a database name/)
    }
  })
})
