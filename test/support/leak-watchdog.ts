// A root hook, run around each test file (mocha runs root hooks once per file in
// parallel mode, which `npm test` always uses): whatever a file opened and did not
// close — a server, a socket, a child process, a ref'd timer — would otherwise keep a
// worker busy forever or bleed into the next file in the same worker. After the file's
// own `after` hooks, this waits a moment for handles that are closing anyway, then
// fails the file's run naming each one left open.
const GRACE_MS = Number(process.env.LEAK_GRACE_MS ?? 5_000)

interface Snapshot { handles: Set<unknown>; timers: Set<TimerLike> }

// Node has no public list of handles; `_getActiveHandles` is what `why-is-node-running`
// and mocha's own --exit advice rely on, and it lists only ref'd handles (the ones that
// keep a process alive), which is exactly what counts as a leak. Timers are not in it,
// and Node's count of ref'd timers drifts (a ref() on a timer that already fired counts
// for ever), so the timers made through the globals are kept and checked one by one.
const activeHandles = (): unknown[] => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()

interface TimerLike { hasRef(): boolean; _destroyed?: boolean; _idleTimeout?: number; _repeat?: number | null; _onTimeout?: () => void }
const made = new Set<WeakRef<TimerLike>>()
// Where each was set: an Error's stack is only formatted when read, so this costs little.
const origins = new WeakMap<TimerLike, Error>()
for (const name of ['setTimeout', 'setInterval'] as const) {
  const original = globalThis[name] as (...args: unknown[]) => TimerLike
  const tracked = (...args: unknown[]) => {
    const timer = original(...args)
    if (typeof timer === 'object') {
      made.add(new WeakRef(timer))
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 40 // past the library frames, into the async callers
      origins.set(timer, new Error())
      Error.stackTraceLimit = limit
    }
    return timer
  }
  Object.assign(tracked, original)
  ;(globalThis as Record<string, unknown>)[name] = tracked
}
function liveTimers(): TimerLike[] {
  const live: TimerLike[] = []
  for (const ref of made) {
    const timer = ref.deref()
    if (!timer || timer._destroyed) made.delete(ref)
    else if (timer.hasRef()) live.push(timer)
  }
  return live
}
function describeTimer(timer: TimerLike): string {
  const source = String(timer._onTimeout ?? '?').replace(/\s+/g, ' ').slice(0, 120)
  const where = (origins.get(timer)?.stack ?? '').split('\n').slice(2)
    .filter((line) => !line.includes('leak-watchdog') && !line.includes('node_modules') && !line.includes('node:')).slice(0, 6).map((line) => `\n      ${line.trim()}`).join('')
  return `a ref'd ${timer._repeat ? 'setInterval' : 'setTimeout'} of ${timer._idleTimeout} ms: ${source}${where}`
}

function snapshot(): Snapshot {
  return { handles: new Set(activeHandles()), timers: new Set(liveTimers()) }
}

// PGlite's WASM runtime sets timers of its own (PostgreSQL's timeouts), which end by
// themselves within seconds; test-db.ts keeps emptied instances for the next file.
const pgliteTimer = (t: TimerLike) => String(t._onTimeout).includes('__emscripten_timeout')

function leftOpen(before: Snapshot): string[] {
  const found = activeHandles().filter((h) => !before.handles.has(h)).map(describe)
  found.push(...liveTimers().filter((t) => !before.timers.has(t) && !pgliteTimer(t)).map(describeTimer))
  return found
}

function describe(handle: unknown): string {
  const h = handle as Record<string, any>
  const kind = h?.constructor?.name ?? typeof handle
  try {
    if (kind === 'ChildProcess') return `a child process (pid ${h.pid}: ${(h.spawnargs as string[]).join(' ').slice(0, 200)})`
    if (typeof h.listening === 'boolean' && typeof h.address === 'function') {
      const a = h.address()
      return `a ${kind} listening on ${typeof a === 'string' ? a : a ? `${a.address}:${a.port}` : '?'}`
    }
    if (kind === 'Socket' || kind === 'TLSSocket') {
      return h.remotePort ? `a socket ${h.localAddress}:${h.localPort} → ${h.remoteAddress}:${h.remotePort}` : `a ${kind} (${h._type ?? h.fd ?? 'pipe'})`
    }
  } catch { /* a half-closed handle: name it by kind */ }
  return `a ${kind}`
}

let before: Snapshot | null = null

export const mochaHooks = {
  beforeAll(): void {
    before = snapshot()
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    if (!before) return
    this.timeout(GRACE_MS + 5_000)
    const until = Date.now() + GRACE_MS
    let open = leftOpen(before)
    while (open.length && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50).unref())
      open = leftOpen(before)
    }
    before = null
    if (open.length) {
      const file = this.test?.parent?.suites.find((s) => s.file)?.file ?? 'This test file'
      throw new Error(`${file} left ${open.length} thing(s) open ${GRACE_MS / 1000} s after its last test; ` +
        `close each in the test or hook that opened it:\n  - ${open.join('\n  - ')}`)
    }
  },
}
