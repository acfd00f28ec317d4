// The first admin's setup guide: what this install can do and what each part needs, with
// each step's state read live from its plugin (SetupStep, plugin API 1.6) and the core's
// own step (inviting people). Admins may skip a step or hide the guide; both are kept in
// setup_guide_marks. Whether a step is done is never stored: it is asked each time.
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { SetupState, SetupStep, ViewerCache } from './plugin-api.ts'
import { bounded } from './bounded.ts'
import type { ViewerCaches } from './viewer-cache.ts'

const STATE_TIMEOUT_MS = 3000
/** A path of this site: '//elsewhere.example' is another site's address, not a path. */
/** Where the plugins' steps come from (the plugin host), no more of it than that. */
export interface SetupStepSource { setupSteps(): Array<SetupStep & { plugin: string }> }

export const SITE_PATH = /^\/(?![/\\])/
const DISMISSED = 'dismissed'
const skipMark = (key: string) => `skip:${key}`

export interface GuideStep {
  /** '<plugin>:<id>' ('core' for the core's own). */
  key: string
  plugin: string
  id: string
  title: string
  why: string
  href: string
  status: SetupState['status'] | 'skipped'
  detail: string | null
}

export interface GuideCard { done: number; total: number; next: Pick<GuideStep, 'title' | 'href'> | null }

/** The core's own step: a portal for one person is not what MediaNest is for. */
function peopleStep(db: Knex): SetupStep & { plugin: string } {
  return {
    plugin: 'core', id: 'people', priority: 90,
    title: 'Invite the people who share your Plex server',
    why: 'Each person signs in once (with Plex, or a password you give them) and requests and follows their own things.',
    href: '/admin/users/new',
    async state() {
      const [{ n }] = await db('users').count<Array<{ n: string | number }>>({ n: '*' })
      const people = Number(n)
      return people > 1
        ? { status: 'done', detail: `${people} people have an account.` }
        : { status: 'todo', detail: 'Only you have an account so far.' }
    },
  }
}

export class SetupGuide {
  private readonly card: ViewerCache<GuideCard | null>

  constructor(private readonly db: Knex, private readonly host: SetupStepSource, private readonly log: Logger, caches: ViewerCaches) {
    // What the dashboard shows every admin, kept so a dashboard asks nothing for it; a
    // step done elsewhere shows within 10 s, a skip or a dismissal at once.
    this.card = caches.create('core:setup-guide', { load: () => this.loadCard(), maxAge: '10s' })
  }

  private definitions(): Array<SetupStep & { plugin: string }> {
    return [...this.host.setupSteps(), peopleStep(this.db)].sort((a, b) => (a.priority ?? 100) - (b.priority ?? 100))
  }

  async steps(): Promise<GuideStep[]> {
    const marks = new Set((await this.db('setup_guide_marks').select('mark')).map((r: { mark: string }) => r.mark))
    return Promise.all(this.definitions().map(async (s) => {
      const key = `${s.plugin}:${s.id}`
      let state: SetupState
      try {
        state = await bounded(Promise.resolve(s.state()), STATE_TIMEOUT_MS, `did not answer within ${STATE_TIMEOUT_MS / 1000} s`)
        if (!['done', 'attention', 'todo'].includes(state?.status)) throw new Error(`answered an unknown status "${String(state?.status)}"`)
      } catch (error) {
        this.log.warn(`setup guide: the state of ${key} could not be read: ${(error as Error).message}`)
        state = { status: 'attention', detail: 'Its state could not be read just now; the server log says why.' }
      }
      const skipped = state.status !== 'done' && marks.has(skipMark(key))
      return {
        key, plugin: s.plugin, id: s.id, title: s.title, why: s.why, href: typeof state.href === 'string' && SITE_PATH.test(state.href) ? state.href : s.href,
        status: skipped ? 'skipped' : state.status, detail: state.detail ?? null,
      }
    }))
  }

  async dismissed(): Promise<boolean> {
    return Boolean(await this.db('setup_guide_marks').where({ mark: DISMISSED }).first('mark'))
  }

  /** For the dashboard: null once every step is done or skipped, or the guide is hidden. */
  cardFor(): Promise<GuideCard | null> {
    return this.card.get('admins')
  }

  private async loadCard(): Promise<GuideCard | null> {
    if (await this.dismissed()) return null
    const steps = await this.steps()
    const open = steps.filter((s) => s.status === 'todo' || s.status === 'attention')
    if (!open.length) return null
    return { done: steps.filter((s) => s.status === 'done').length, total: steps.length, next: { title: open[0].title, href: open[0].href } }
  }

  /** Whether a step of that key exists (skip and unskip refuse others). */
  has(key: string): boolean {
    return this.definitions().some((s) => `${s.plugin}:${s.id}` === key)
  }

  async skip(key: string, by: string, skipped: boolean): Promise<void> {
    if (skipped) await this.db('setup_guide_marks').insert({ mark: skipMark(key), by_user_id: by }).onConflict('mark').ignore()
    else await this.db('setup_guide_marks').where({ mark: skipMark(key) }).del()
    await this.card.invalidateAll()
  }

  async dismiss(by: string, dismissed: boolean): Promise<void> {
    if (dismissed) await this.db('setup_guide_marks').insert({ mark: DISMISSED, by_user_id: by }).onConflict('mark').ignore()
    else await this.db('setup_guide_marks').where({ mark: DISMISSED }).del()
    await this.card.invalidateAll()
  }
}
