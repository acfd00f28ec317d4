// A serial `npx mocha file` runs the root afterAll once, after every file: the PGlite
// instances kept for reuse are closed there so the process exits. In the runner's parallel
// workers root hooks run once per file, and closing them there would undo the reuse, so
// they are left to the worker's end.
import { closeIdleDatabases } from './test-db.ts'

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (!process.env.MOCHA_WORKER_ID) await closeIdleDatabases()
  },
}
