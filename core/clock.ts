// The one source of "now" for the core and, through ctx.clock, for every plugin: expiry,
// schedules, retention, "checked at", waits between polls. Tests move it with advance()
// instead of sleeping, and a wait through sleep() ends as soon as the moved clock
// passes its end, so a test of an hour-long wait takes no hour.
//
// Not for elapsed real time (a response time, a process given 2 s to exit, a throttle
// on pushes to the browser): that is performance.now(), which no test should move.
import type { Clock } from './plugin-api.ts'

let offsetMs = 0

interface Sleeper { until: number; wake(): void }
const sleepers = new Set<Sleeper>()

const nowMs = (): number => Date.now() + offsetMs

function wakeDue(): void {
  const now = nowMs()
  for (const s of sleepers) if (s.until <= now) s.wake()
}

export const clock: Clock & {
  /** Tests only: shift every later now() by ms, and end the sleeps it passes. */
  advance(ms: number): void
  /** Tests only: back to the real time. */
  reset(): void
} = {
  now: (): Date => new Date(nowMs()),
  nowMs,
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        until: nowMs() + ms,
        wake: () => { done(); resolve() },
      }
      const onAbort = () => { done(); reject(signal!.reason) }
      const timer = setTimeout(sleeper.wake, Math.min(Math.max(0, ms), 2 ** 31 - 1))
      const done = () => {
        clearTimeout(timer)
        sleepers.delete(sleeper)
        signal?.removeEventListener('abort', onAbort)
      }
      sleepers.add(sleeper)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
  advance(ms: number): void {
    offsetMs += ms
    wakeDue()
  },
  reset(): void { offsetMs = 0 },
}
