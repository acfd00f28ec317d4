import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ConfigError, configJsonSchema, durationMs, loadConfig, type Config } from '../../core/config.ts'
import { runCli as cli } from '../support/cli-run.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

describe('configuration: defaults < file < environment, with errors people can act on', () => {
  let dir: string

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-config-')) })
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }) })

  const writeFile = (name: string, content: unknown) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
    return file
  }

  /** The problems a configuration is refused with (fails the test if it is accepted). */
  const problemsOf = (load: () => Config): string[] => {
    try {
      load()
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError)
      return (error as ConfigError).problems
    }
    expect.fail('the configuration was accepted')
  }

  describe('valid sources', () => {
    it('runs on defaults alone when there is no file and no environment', () => {
      const config = loadConfig({ env: {}, cwd: dir })
      expect(config).to.include({ port: 3000, host: '0.0.0.0', dataDir: './data', logLevel: 'info', trustProxy: 0, shutdownTimeout: '5s', configFile: null, configDir: dir })
      expect(config.databaseUrl).to.equal(undefined)
      expect(config.plugins).to.deep.equal({})
      expect(config.sessions).to.deep.equal({ idle: '7d', absolute: '30d' })
      expect(config.rateLimits.login).to.deep.equal({ limit: 10, window: '15m' })
      expect(config.rateLimits.authenticated).to.deep.equal({ limit: 300, window: '1m' })
    })

    it('reads ./medianest.config.json over the defaults, and the environment over the file', () => {
      const file = writeFile('medianest.config.json', { port: 4000, host: '127.0.0.1', logLevel: 'debug', dataDir: '/srv/file-data' })
      const config = loadConfig({ env: { PORT: '5000', DATA_DIR: '/srv/env-data', LOG_LEVEL: '' }, cwd: dir })
      expect(config).to.include({ port: 5000, dataDir: '/srv/env-data', host: '127.0.0.1', logLevel: 'debug', configFile: file, configDir: dir })
    })

    it('takes the file from MEDIANEST_CONFIG (relative to the working folder) or an explicit path, and keeps its folder for plugin sources', () => {
      fs.mkdirSync(path.join(dir, 'etc'))
      const file = writeFile('etc/medianest.json', { port: 4100, trustProxy: 1 })
      const fromEnv = loadConfig({ env: { MEDIANEST_CONFIG: 'etc/medianest.json' }, cwd: dir })
      expect(fromEnv).to.include({ port: 4100, trustProxy: 1, configFile: file, configDir: path.join(dir, 'etc') })
      const explicit = loadConfig({ env: {}, file, cwd: os.tmpdir() })
      expect(explicit.configFile).to.equal(file)
    })

    it('applies overrides over everything and maps the admin variables onto bootstrapAdmin', () => {
      writeFile('medianest.config.json', { port: 4000 })
      const config = loadConfig({
        env: { PORT: '5000', MEDIANEST_ADMIN_EMAIL: 'owner@example.com', MEDIANEST_ADMIN_PASSWORD: 'a long enough password' },
        overrides: { port: 0 },
        cwd: dir,
      })
      expect(config.port).to.equal(0)
      expect(config.bootstrapAdmin).to.deep.equal({ email: 'owner@example.com', password: 'a long enough password' })
    })

    it('fills each plugin entry with its defaults', () => {
      writeFile('medianest.config.json', { plugins: { hello: {} } })
      expect(loadConfig({ env: {}, cwd: dir }).plugins.hello).to.deep.equal({ enabled: true, config: {}, onStartFailure: 'abort' })
    })

    it('accepts medianest.config.example.json as shipped', () => {
      const config = loadConfig({ env: {}, file: path.join(ROOT, 'medianest.config.example.json') })
      expect(config.plugins.hello?.enabled).to.equal(false)
    })
  })

  describe('invalid values: the key, the bad value and what is allowed', () => {
    it('a value of the wrong type', () => {
      writeFile('medianest.config.json', { trustProxy: 'yes' })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^trustProxy: /).and.include('"yes"').and.include('number')
    })

    it('a port out of range', () => {
      writeFile('medianest.config.json', { port: 70000 })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^port: /).and.include('70000').and.include('65535')
    })

    it('a log level that does not exist', () => {
      writeFile('medianest.config.json', { logLevel: 'loud' })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^logLevel: /).and.include('"loud"').and.include('"debug"').and.include('"error"')
    })

    it('an unknown key (a typo is not silently ignored)', () => {
      writeFile('medianest.config.json', { prot: 3000 })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.include('unknown key').and.include('"prot"')
    })

    it('a file that is not valid JSON', () => {
      const file = writeFile('medianest.config.json', '{ "port": 3000, }')
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.include(file).and.include('not valid JSON')
    })

    it('a file that holds something other than one object', () => {
      writeFile('medianest.config.json', '[1, 2]')
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.include('one JSON object')
    })

    it('an explicit MEDIANEST_CONFIG that does not exist (no silent fallback to defaults)', () => {
      const [problem] = problemsOf(() => loadConfig({ env: { MEDIANEST_CONFIG: 'nowhere.json' }, cwd: dir }))
      expect(problem).to.include(path.join(dir, 'nowhere.json')).and.include('does not exist')
    })

    it('a PORT variable that is not a number', () => {
      const [problem] = problemsOf(() => loadConfig({ env: { PORT: 'eighty' }, cwd: dir }))
      expect(problem).to.match(/^PORT: /).and.include('"eighty"').and.include('number')
    })

    it('a plugin key that is not a valid plugin name', () => {
      writeFile('medianest.config.json', { plugins: { Bad_Name: {} } })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^plugins\.Bad_Name/).and.include('lower-case letters, digits and dashes')
    })

    it('an onStartFailure policy that does not exist', () => {
      writeFile('medianest.config.json', { plugins: { hello: { onStartFailure: 'retry' } } })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^plugins\.hello\.onStartFailure: /).and.include('"retry"').and.include('"abort"').and.include('"disable"')
    })

    it('a duration without a unit', () => {
      writeFile('medianest.config.json', { sessions: { idle: '7' } })
      const [problem] = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problem).to.match(/^sessions\.idle: /).and.include('"7"').and.include('15m')
    })

    it('lists every problem of a file at once', () => {
      writeFile('medianest.config.json', { port: -1, logLevel: 'loud', colour: 'red', plugins: { hello: { enabled: 'yes' } } })
      const problems = problemsOf(() => loadConfig({ env: {}, cwd: dir }))
      expect(problems).to.have.length(4)
      expect(problems.map((p) => p.split(':')[0]).sort()).to.deep.equal(['(root)', 'logLevel', 'plugins.hello.enabled', 'port'])
    })
  })

  it('converts durations to milliseconds and refuses what the schema refuses', () => {
    expect(durationMs('15m')).to.equal(900_000)
    expect(durationMs('250ms')).to.equal(250)
    expect(() => durationMs('15 minutes')).to.throw(/not a duration/)
  })

  it('describes the file as a JSON Schema, plugins included', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties?: unknown }
    expect(schema.properties).to.include.keys('port', 'databaseUrl', 'plugins', 'rateLimits')
    expect(schema.additionalProperties).to.equal(false)
  })

  it('ships medianest.config.schema.json as the schema now describes it', () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'medianest.config.schema.json'), 'utf8')) as unknown
    expect(shipped, 'regenerate it: npx medianest config schema > medianest.config.schema.json')
      .to.deep.equal(JSON.parse(JSON.stringify(configJsonSchema())))
  })

  it('keeps, with a refused configuration, the rest of it at its defaults for later checks, unless the plugins section is broken', () => {
    const partialOf = (overrides: Record<string, unknown>) => {
      try {
        loadConfig({ env: {}, cwd: dir, overrides })
      } catch (error) {
        return (error as ConfigError).partial
      }
      expect.fail('the configuration was accepted')
    }
    const partial = partialOf({ port: 70000, host: '127.0.0.1', plugins: { hello: { enabled: true } } })
    expect(partial).to.include({ port: 3000, host: '127.0.0.1', configDir: dir })
    expect(partial?.plugins.hello).to.include({ enabled: true })
    expect(partialOf({ port: 70000, plugins: { hello: { enabled: 'yes' } } })).to.equal(undefined)
  })

  describe('the CLI: medianest config check | schema', function () {
    this.timeout(60_000)

    it('prints every problem on its own line, with no stack trace, and exits 1; a good file exits 0', async () => {
      const bad = writeFile('bad.json', { port: 70000, logLevel: 'loud', colour: 'red', plugins: { hello: { onStartFailure: 'retry' } } })
      const good = writeFile('good.json', { port: 8080, plugins: { hello: { enabled: true, config: { greeting: 'Hi' } } } })
      const badPlugin = writeFile('bad-plugin.json', { plugins: { hello: { config: { greeting: '' } }, 'no-such-plugin': {} } })
      const [refused, accepted, pluginProblems, badEnv] = await Promise.all([
        cli(['config', 'check', bad], { cwd: dir }),
        cli(['config', 'check', good], { cwd: dir, env: { DATA_DIR: path.join(dir, 'data') } }),
        cli(['config', 'check', badPlugin], { cwd: dir }),
        cli(['config', 'check'], { cwd: dir, env: { PORT: 'eighty' } }),
      ])

      expect(refused.code).to.equal(1)
      const lines = refused.stderr.split('\n')
      expect(lines[0]).to.include(bad)
      expect(lines.find((l) => l.includes('port:'))).to.include('70000').and.include('65535')
      expect(lines.find((l) => l.includes('logLevel:'))).to.include('"loud"')
      expect(lines.find((l) => l.includes('"colour"'))).to.include('unknown key')
      expect(lines.find((l) => l.includes('plugins.hello.onStartFailure:'))).to.include('"retry"')
      expect(refused.stderr).not.to.match(/\n\s+at /)
      expect(refused.stdout).not.to.include('configuration OK')

      expect(accepted.code, accepted.stderr).to.equal(0)
      expect(accepted.stdout).to.match(/^configuration OK/).and.include(good).and.include('hello@1.0.0').and.include(':8080')

      expect(pluginProblems.code).to.equal(1)
      expect(pluginProblems.stderr).to.include('plugins.hello.config.greeting:').and.include('"no-such-plugin"')
      expect(pluginProblems.stderr).not.to.match(/\n\s+at /)

      expect(badEnv.code).to.equal(1)
      expect(badEnv.stderr).to.include('PORT: expected a number (got "eighty")')
    })

    it('reports a core problem and a plugin problem in the same run', async () => {
      const both = writeFile('both.json', { port: 70000, colour: 'red', plugins: { hello: { enabled: true, config: { greeting: '' } } } })
      const run = await cli(['config', 'check', both], { cwd: dir })
      expect(run.code).to.equal(1)
      const lines = run.stderr.split('\n')
      expect(lines[0]).to.include('the configuration has problems').and.include(both)
      expect(lines.find((l) => l.includes('port:'))).to.include('70000')
      expect(lines.find((l) => l.includes('"colour"'))).to.include('unknown key')
      expect(lines.find((l) => l.includes('plugins.hello.config.greeting:'))).to.include('""')
      expect(run.stderr).not.to.match(/\n\s+at /)
    })

    it('prints the JSON Schema to stdout', async () => {
      const { code, stdout } = await cli(['config', 'schema'], { cwd: dir })
      expect(code).to.equal(0)
      const schema = JSON.parse(stdout) as { properties: Record<string, unknown> }
      expect(schema.properties).to.have.property('plugins')
      expect(schema).to.deep.equal(JSON.parse(JSON.stringify(configJsonSchema())))
    })
  })
})
