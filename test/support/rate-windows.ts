import { clock } from '../../core/clock.ts'

/**
 * Moves the clock to just after the start of a rate-limit window of windowMs. Windows
 * start on multiples of their length, so a test that counts requests inside one must
 * not straddle a boundary: on a loaded machine a few requests can take seconds, and a
 * boundary passed half-way starts a fresh count. Pair with clock.reset() after the test.
 */
export function startOfRateWindow(windowMs: number): void {
  clock.advance(windowMs - (clock.nowMs() % windowMs) + 1)
}
