// A root hook, run around each test file: records the file's wall and CPU time (hooks
// included) as one JSON line in the file named by MEDIANEST_TEST_TIMINGS, from
// whichever worker ran it. `npm test` reads the lines back for its slowest-files report
// and to start the longest files first next time.
import fs from 'node:fs'
import path from 'node:path'

const out = process.env.MEDIANEST_TEST_TIMINGS
let started = 0
let cpuAtStart = 0

/**
 * CPU seconds of this process and of the children it has waited for (yt-dlp, Chromium,
 * a CLI run), from /proc: the machine has two cores, so CPU, not wall time, is what a
 * file costs the whole run.
 */
function cpuMs(): number {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    // utime, stime, cutime, cstime: fields 14–17 of stat(5), in clock ticks (100 a second).
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10
  } catch {
    const { user, system } = process.cpuUsage()
    return (user + system) / 1000
  }
}

export const mochaHooks = {
  beforeAll(): void {
    started = performance.now()
    cpuAtStart = cpuMs()
  },
  afterAll(this: Mocha.Context): void {
    const file = this.test?.parent?.suites.find((s) => s.file)?.file
    if (!out || !file) return
    const line = { file: path.relative(process.cwd(), file), ms: Math.round(performance.now() - started), cpuMs: Math.round(cpuMs() - cpuAtStart) }
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`)
  },
}
