// A root hook: once every test has run, the process must end by itself (mocha runs with
// exit: false so leaks show). A leaked server, socket or timer would otherwise hold CI
// until its deadline with no word of why; this says what is still open, and fails.
const GRACE_MS = Number(process.env.LEAK_GRACE_MS ?? 30_000)

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      process.stderr.write(`\nAll tests ran, but the process was still alive ${GRACE_MS / 1000} s later: something was left open ` +
        `(${process.getActiveResourcesInfo().join(', ')}). Close it in the test that opened it.\n`)
      process.exit(1)
    }, GRACE_MS).unref()
  },
}
