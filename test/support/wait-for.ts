// Polling helpers for tests of background work.
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves with check()'s first truthy value; fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
