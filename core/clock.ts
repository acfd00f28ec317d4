// The one source of "now" for expiry decisions, so tests can move time.
let offsetMs = 0

export const clock = {
  now: (): Date => new Date(Date.now() + offsetMs),
  /** Tests only: shift every later clock.now() by ms. */
  advance(ms: number): void { offsetMs += ms },
  reset(): void { offsetMs = 0 },
}
