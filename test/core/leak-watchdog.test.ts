// The leak check of the test runner itself (test/support/leak-watchdog.ts), run as
// `npm test` runs it: mocha --parallel, a file per worker task.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/leaky/${name}`, import.meta.url))

function mochaParallel(files: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../node_modules/mocha/bin/mocha.js', import.meta.url)), '--parallel', '--jobs=2', ...files], {
    cwd: root, env: { ...process.env, LEAK_GRACE_MS: '500', MEDIANEST_TEST_TIMINGS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })))
}

describe('the test runner: a file that leaves something open fails the run, in parallel workers', function () {
  this.timeout(60_000)

  it('names the file and the server it left listening, and fails; the file beside it passes', async () => {
    const { code, out } = await mochaParallel([fixture('leaks-a-server.fixture.ts'), fixture('closes-everything.fixture.ts')])
    expect(code, out).to.equal(1)
    expect(out).to.match(/leaks-a-server\.fixture\.ts left 1 thing\(s\) open 0\.5 s after its last test/)
    expect(out).to.match(/a Server listening on 127\.0\.0\.1:\d+/)
    expect(out).to.include('2 passing').and.include('1 failing')
  })

  it('passes a run whose files close what they open', async () => {
    const { code, out } = await mochaParallel([fixture('closes-everything.fixture.ts')])
    expect(code, out).to.equal(0)
  })
})
