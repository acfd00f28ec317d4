// @backend-free: the plugin's own tests inside run on whichever database TEST_DATABASE_URL names; once is enough.
// The plugin author's path, from an empty folder outside the repository, as issue 33 asks:
// `medianest plugins new`, `npm install`, `npm test`, `npx medianest plugins check .`,
// `npm pack`, the tarball installed beside MediaNest and named by its package in "source":
// all green, and its page and widget live.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { startTestHost } from '../support/test-host.ts'
import { runCli, runCliProcess } from '../support/cli-run.ts'
import { waitFor } from '../support/wait-for.ts'

/** A command as the author types it, in `cwd`, without the npm variables of the run around it. */
function sh(command: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'NODE_ENV'))
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { out += c })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
}

describe('the plugin author\'s kit: from an empty folder to an installed package', function () {
  this.timeout(300_000)
  let root: string

  before(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-kit-')) })
  after(() => fs.rmSync(root, { recursive: true, force: true }))

  it('makes a plugin that installs, passes its own tests and the check, packs, and boots from npm', async () => {
    const made = await runCliProcess(['plugins', 'new', 'movie-notes', '--dir', root], { cwd: root })
    expect(made.code, made.stdout + made.stderr).to.equal(0)
    const dir = path.join(root, 'movie-notes')
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))).to.include({ name: 'medianest-plugin-movie-notes', type: 'module' })

    const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir)
    expect(install.code, install.out).to.equal(0)
    const tests = await sh('npm', ['test'], dir)
    expect(tests.code, tests.out).to.equal(0)
    expect(tests.out).to.match(/3 passing/)
    const check = await sh('npx', ['medianest', 'plugins', 'check', '.'], dir)
    expect(check.code, check.out).to.equal(0)
    expect(check.out).to.include('The plugin conforms.')
    const types = await sh('npm', ['run', 'typecheck'], dir)
    expect(types.code, types.out).to.equal(0)

    const packed = await sh('npm', ['pack', '--silent'], dir)
    expect(packed.code, packed.out).to.equal(0)
    const tarball = path.join(dir, packed.out.trim().split('\n').at(-1)!)
    expect(fs.existsSync(tarball), tarball).to.equal(true)

    // Beside MediaNest: an install folder, its config naming the package.
    const site = path.join(root, 'site')
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, 'package.json'), JSON.stringify({ name: 'site', private: true }))
    const added = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], site)
    expect(added.code, added.out).to.equal(0)
    const plugins = { 'movie-notes': { enabled: true, source: 'medianest-plugin-movie-notes' } }
    fs.writeFileSync(path.join(site, 'medianest.config.json'), JSON.stringify({ dataDir: './data', plugins }))
    const listed = await runCli(['plugins', '--config', path.join(site, 'medianest.config.json')], { cwd: site })
    expect(listed.stdout, listed.stderr).to.include('movie-notes 0.1.0  enabled, community, from the npm package medianest-plugin-movie-notes')

    const host = await startTestHost({ configDir: site, plugins })
    try {
      const { client } = await host.signedIn()
      expect((await client.post('/movie-notes', { text: 'Rewatch Alien' })).status).to.equal(303)
      await waitFor('the note on the page', async () => (await client.get('/movie-notes')).text.includes('Rewatch Alien'), 20_000)
      expect((await client.get('/widgets/movie-notes/notes')).text).to.include('1 note')
    } finally {
      await host.stop()
    }
  })

  it('refuses a name that is not a plugin name, or a folder in use, and writes nothing', async () => {
    for (const [name, words] of [['Movie Notes', 'is not a plugin name'], ['monitor', 'is a first-party plugin\'s name'], ['a--b', 'is not a plugin name']]) {
      const res = await runCli(['plugins', 'new', name, '--dir', root], { cwd: root })
      expect(res.code, name).to.equal(2)
      expect(res.stderr, name).to.include(words)
    }
    fs.mkdirSync(path.join(root, 'taken'))
    fs.writeFileSync(path.join(root, 'taken', 'keep.txt'), 'mine')
    const taken = await runCli(['plugins', 'new', 'taken', '--dir', root], { cwd: root })
    expect(taken.code).to.equal(1)
    expect(taken.stderr).to.include('already exists and is not empty')
    expect(fs.readdirSync(path.join(root, 'taken'))).to.deep.equal(['keep.txt'])
  })
})
