import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost } from '../support/test-host.ts'
import { runCli, runCliProcess } from '../support/cli-run.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURE = path.join(ROOT, 'test/fixtures/plugins/community-hello')


describe('a community plugin in a folder of its own, outside the repository', function () {
  this.timeout(180_000)
  let dir: string

  before(() => {
    // Copied as an author would keep it: package.json ("type": "module"), tsconfig.json,
    // index.ts importing 'medianest/plugin-api' by name, migrations/, views/.
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-community-')), 'community-hello')
    fs.cpSync(FIXTURE, dir, { recursive: true })
    expect(fs.readFileSync(path.join(dir, 'index.ts'), 'utf8')).to.include("from 'medianest/plugin-api'")
  })
  after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }))

  it('passes `medianest plugins check <folder>` (import boundary and conformance)', async () => {
    const { code, stdout, stderr } = await runCli(['plugins', 'check', dir], { cwd: os.tmpdir() })
    const out = stdout + stderr
    expect(out).to.include('Import boundary: ok')
    expect(out).to.include('Conformance: ok')
    expect(out).to.include('The plugin conforms.')
    expect(code).to.equal(0)
  })

  it('boots MediaNest with it from its source folder, the contract resolved by name', async () => {
    const host = await startTestHost({ plugins: { 'community-hello': { enabled: true, source: dir, config: { word: 'Howdy' } } } })
    try {
      const { client } = await host.signedIn()
      const page = await client.get('/community-hello')
      expect(page.status).to.equal(200)
      expect(page.text).to.include('Howdy! 1 visits.')
    } finally {
      await host.stop()
    }
  })

  it('passes the check and boots when it imports a first-party plugin\'s api by name (medianest/plugins/<name>/api)', async () => {
    const watcher = path.join(path.dirname(dir), 'request-watch')
    fs.mkdirSync(watcher)
    fs.writeFileSync(path.join(watcher, 'package.json'), JSON.stringify({ name: 'medianest-plugin-request-watch', version: '1.0.0', type: 'module' }))
    fs.writeFileSync(path.join(watcher, 'index.ts'), [
      "import { definePlugin } from 'medianest/plugin-api'",
      "import { REQUEST_EVENTS } from 'medianest/plugins/overseerr/api'",
      'export default definePlugin({',
      "  name: 'request-watch', version: '1.0.0', api: '^1.0.0', description: 'Counts approved requests.',",
      '  register: (ctx) => ({ on: [{ event: REQUEST_EVENTS.approved, handle: () => ctx.log.info(\'approved\') }] }),',
      '})',
    ].join('\n'))
    // Without "type": "module" the file is CommonJS to Node, where no 'medianest/…' resolves: the check says what to add.
    fs.renameSync(path.join(watcher, 'package.json'), path.join(watcher, 'package.json.off'))
    const refused = await runCliProcess(['plugins', 'check', watcher], { cwd: os.tmpdir() })
    expect(refused.stdout + refused.stderr).to.include(`${watcher} has no package.json with "type": "module": add one`)
    expect(refused.code).to.equal(1)
    fs.renameSync(path.join(watcher, 'package.json.off'), path.join(watcher, 'package.json'))

    const { code, stdout, stderr } = await runCliProcess(['plugins', 'check', watcher], { cwd: os.tmpdir() })
    expect(stdout + stderr, stdout + stderr).to.include('The plugin conforms.')
    expect(code).to.equal(0)
    const host = await startTestHost({ plugins: { overseerr: { enabled: true }, 'request-watch': { enabled: true, source: watcher } } })
    await host.stop()
  })

  it('is refused by the check when it reaches into MediaNest\'s internals, naming the file and line', async () => {
    const broken = path.join(path.dirname(dir), 'broken-hello')
    fs.cpSync(dir, broken, { recursive: true })
    fs.appendFileSync(path.join(broken, 'index.ts'), `export { openDatabase } from 'medianest/core/db.ts'\nexport { ViewEngine } from ${JSON.stringify(path.join(ROOT, 'core/views.ts'))}\n`)
    const lines = fs.readFileSync(path.join(broken, 'index.ts'), 'utf8').split('\n').length
    const { code, stdout, stderr } = await runCli(['plugins', 'check', broken], { cwd: os.tmpdir() })
    const out = stdout + stderr
    expect(code).to.equal(1)
    expect(out).to.include(`index.ts:${lines - 2}: 'medianest/core/db.ts' is not part of the plugin contract`)
    expect(out).to.include(`index.ts:${lines - 1}: '${path.join(ROOT, 'core/views.ts')}' reaches outside this plugin`)
  })
})
