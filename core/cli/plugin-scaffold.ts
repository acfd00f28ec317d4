// The files of `medianest plugins new <name>`: a plugin that works on its first run and
// shows one of each thing a plugin does (a page with a form, a widget, a migration, a job
// that is safe to run again, a declared event, a test through medianest/testing), each
// the way docs/plugins.md asks. Kept as text here so the command needs no files beside it.
import { PLUGIN_API_VERSION } from '../plugin-api.ts'

export interface ScaffoldNames {
  /** The plugin's name: lower-case letters, digits and dashes. */
  name: string
  /** Where MediaNest is, for the author's `npm install` (a link to this checkout). */
  medianestDir: string
  /** Our own versions of the tools it develops with (mocha, tsx, typescript, types), so its tests run as ours do. */
  devTools: Record<string, string>
}

const apiRange = `^${PLUGIN_API_VERSION.split('.').slice(0, 2).join('.')}.0`

export function scaffoldFiles(n: ScaffoldNames): Record<string, string> {
  const table = `${n.name.replace(/-/g, '_')}_notes`
  const title = n.name.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join(' ')
  return {
    'package.json': `${JSON.stringify({
      name: `medianest-plugin-${n.name}`,
      version: '0.1.0',
      description: `${title}: a MediaNest plugin.`,
      type: 'module',
      main: 'index.ts',
      files: ['*.ts', 'migrations/', 'views/', 'README.md'],
      scripts: { test: "mocha --import=tsx --exit 'test/**/*.test.ts'", check: 'medianest plugins check .', typecheck: 'tsc -p .' },
      devDependencies: { medianest: `file:${n.medianestDir}`, ...n.devTools },
    }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
        allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: ['node', 'mocha'],
      },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    }, null, 2)}\n`,
    '.gitignore': 'node_modules/\n*.tgz\n',
    'index.ts': `// ${title}: notes people keep for themselves, a dashboard card with their count, and a
// "note added" fact that reaches its author as a notification. Read docs/plugins.md
// in MediaNest beside it.
import { definePlugin, z } from 'medianest/plugin-api'
import { routes } from './routes.ts'
import { countNotes, recordNote } from './notes.ts'

export const config = z.object({
  /** Notes one person may keep. */
  maxNotes: z.int().min(1).max(10_000).default(100),
})
export type Config = z.output<typeof config>

export default definePlugin({
  name: '${n.name}',
  version: '0.1.0',
  api: '${apiRange}',
  description: '${title}: notes people keep for themselves.',
  config,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  tables: ['${table}'],
  register(ctx) {
    return {
      routes: routes(ctx),
      nav: [{ label: '${title}', href: '/${n.name}' }],
      widgets: [{
        id: 'notes',
        title: '${title}',
        async render({ viewer }) {
          return ctx.views.render('${n.name}:_widget', { count: await countNotes(ctx.db, viewer.id) })
        },
      }],
      jobs: [{
        name: 'add-note',
        timeout: '30s',
        payload: z.object({ noteId: z.uuid(), userId: z.uuid(), text: z.string().max(500) }),
        // Safe to run again: the row and its event commit together, once per note id.
        async run(payload) {
          await ctx.db.transaction(async (trx) => {
            const added = await recordNote(trx, payload)
            if (added) await ctx.events.emit('${n.name}.note.added', { userId: payload.userId, text: payload.text }, { trx })
          })
        },
      }],
      eventTypes: [{
        event: '${n.name}.note.added', title: 'Note added', audience: 'subject',
        describe: (p: { text?: string }) => ({ title: 'Note added', message: \`“\${String(p.text ?? '').slice(0, 100)}” is in your notes.\`, link: '/${n.name}' }),
      }],
    }
  },
})
`,
    'notes.ts': `// The ${table} table: one row per note, written once per id.
import type { Knex } from 'medianest/plugin-api'

export interface NoteRow { id: string; user_id: string; text: string; created_at: Date }

/** The new row, or null when this id was written already (a job run again). */
export async function recordNote(db: Knex, note: { noteId: string; userId: string; text: string }): Promise<NoteRow | null> {
  const [row] = await db<NoteRow>('${table}').insert({ id: note.noteId, user_id: note.userId, text: note.text }).onConflict('id').ignore().returning('*')
  return row ?? null
}

export async function countNotes(db: Knex, userId: string): Promise<number> {
  const row = await db('${table}').where({ user_id: userId }).select(db.raw('count(*)::int as n')).first()
  return (row as { n: number }).n
}

export async function recentNotes(db: Knex, userId: string): Promise<NoteRow[]> {
  return db<NoteRow>('${table}').where({ user_id: userId }).orderBy('created_at', 'desc').limit(20)
}
`,
    'routes.ts': `// /${n.name}: the page and its form. A mistake re-renders the form (422, the message beside
// the field); a note that is accepted is queued as a job, then the page is shown again:
// with htmx the form alone, without JavaScript a redirect with a one-time notice.
import crypto from 'node:crypto'
import { z, type PluginContext, type Request, type Response } from 'medianest/plugin-api'
import type { Config } from './index.ts'
import { countNotes, recentNotes } from './notes.ts'

const noteForm = z.object({ text: z.string().trim().min(1, 'Write a note.').max(500, 'Keep it under 500 characters.') })
const NOTICES = { added: 'Added. It shows in your list in a moment.', already: 'That note was already sent, so it was not added twice.' }

interface FormState { text: string; fields: Record<string, string>; notice: string | null }

export function routes(ctx: PluginContext<Config>) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)

  const render = async (req: Request, res: Response, form: FormState, status = 200) => {
    const viewer = ctx.http.mustViewer(req)
    await ctx.views.pageOrFragment(req, res, {
      page: '${n.name}:page', fragment: '${n.name}:_form', title: '${title}', status,
      // A one-time token per render: the same form sent twice (a double click, Back and resend) adds one note.
      data: { notes: await recentNotes(ctx.db, viewer.id), form, once: ctx.http.formToken() },
    })
  }

  router.get('/', (req, res) => render(req, res, { text: '', fields: {}, notice: ctx.http.takeFlash(req, res, NOTICES) }))

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const checked = ctx.http.validate(noteForm, req.body)
    const text = typeof req.body?.text === 'string' ? req.body.text.slice(0, 500) : ''
    if (!checked.ok) return render(req, res, { text, fields: checked.fields, notice: null }, 422)
    if (await countNotes(ctx.db, viewer.id) >= ctx.config.maxNotes) {
      return render(req, res, { text, fields: { text: \`You keep \${ctx.config.maxNotes} notes already.\` }, notice: null }, 422)
    }
    const first = await ctx.http.claimForm(req, 'add-note') === 'first'
    if (first) await ctx.jobs.enqueue('add-note', { noteId: crypto.randomUUID(), userId: viewer.id, text: checked.data.text })
    const notice = first ? 'added' : 'already'
    if (ctx.http.isHtmx(req)) return render(req, res, { text: '', fields: {}, notice: NOTICES[notice] })
    ctx.http.flash(res, notice)
    res.redirect(303, '/${n.name}')
  })
  return router
}
`,
    [`migrations/202601010001_create_${table}.ts`]: `import type { Knex } from 'medianest/plugin-api'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('${table}', (t) => {
    t.uuid('id').primary()
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE').index()
    t.string('text', 500).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('${table}')
}
`,
    'views/page.eta': `<section class="card">
  <h1>${title}</h1>
  <%~ include('./_form', it) %>
</section>
<section class="card">
  <h2>Your notes</h2>
<% if (!it.notes.length) { %>
  <p>No notes yet.</p>
<% } else { %>
  <ul id="${n.name}-notes">
<% for (const note of it.notes) { %>
    <li><%= note.text %></li>
<% } %>
  </ul>
<% } %>
</section>
`,
    'views/_form.eta': `<%/* The form alone: htmx swaps it in place; a mistake shows beside its field, with the focus there. */%>
<form id="${n.name}-form" method="post" action="/${n.name}" hx-post="/${n.name}" hx-target="this" hx-swap="outerHTML" class="stack">
  <input type="hidden" name="_csrf" value="<%= it.csrfToken %>">
  <input type="hidden" name="_once" value="<%= it.once %>">
<% if (it.form.notice) { %>
  <p class="alert alert-ok" role="status" tabindex="-1" autofocus><%= it.form.notice %></p>
<% } %>
  <label>Note
    <input name="text" maxlength="500" required value="<%= it.form.text %>"<%~ it.form.fields.text ? \` aria-invalid="true" aria-describedby="${n.name}-text-error" autofocus\` : '' %>>
<% if (it.form.fields.text) { %>
    <span class="field-error" id="${n.name}-text-error"><%= it.form.fields.text %></span>
<% } %>
  </label>
  <button type="submit">Add note</button>
</form>
`,
    'views/_widget.eta': `<p><a href="/${n.name}"><%= it.count %> note<%= it.count === 1 ? '' : 's' %></a></p>
`,
    [`test/${n.name}.test.ts`]: `// Runs against a whole MediaNest on a fresh database (PGlite, or PostgreSQL with
// TEST_DATABASE_URL), with this plugin enabled from this folder.
import { fileURLToPath } from 'node:url'
import { describePluginConformance, expect, startTestHost, waitFor, type TestHost } from 'medianest/testing'

const dir = fileURLToPath(new URL('..', import.meta.url))

describePluginConformance(dir)

describe('${n.name}', function () {
  this.timeout(60_000)
  let host: TestHost

  before(async () => { host = await startTestHost({ plugins: { '${n.name}': { enabled: true, source: dir } } }) })
  after(async () => { await host?.stop() })

  it('keeps a note: the form answers at once, the job writes it, the page and the card show it', async () => {
    const { client } = await host.signedIn()
    expect((await client.post('/${n.name}', { text: 'Buy popcorn' })).status).to.equal(303)
    await waitFor('the note to be written', async () => (await client.get('/${n.name}')).text.includes('Buy popcorn'))
    expect((await client.get('/widgets/${n.name}/notes')).text).to.include('1 note')
  })

  it('refuses an empty note beside the field, and writes nothing', async () => {
    const { client, user } = await host.signedIn()
    const res = await client.post('/${n.name}', { text: '  ' }, { htmx: true })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('Write a note.')
    expect(await host.db('${table}').where({ user_id: user.id })).to.deep.equal([])
  })
})
`,
    'README.md': `# ${title}

A MediaNest plugin: notes people keep for themselves, a dashboard card with their count,
and a "note added" notification.

| | |
|---|---|
| develop | \`npm install\`, then \`npm test\` (a whole MediaNest on PGlite; \`TEST_DATABASE_URL=postgres://…\` for PostgreSQL), \`npm run typecheck\` and \`npx medianest plugins check .\` |
| install | \`npm pack\`, then beside MediaNest \`npm install ./medianest-plugin-${n.name}-0.1.0.tgz\` and in \`medianest.config.json\`: \`"${n.name}": { "enabled": true, "source": "medianest-plugin-${n.name}" }\` |
| config | \`maxNotes\` (default 100): notes one person may keep |
| tables | \`${table}\` |
| events | \`${n.name}.note.added\` (audience: the person) |

The contract it is written against: \`docs/plugins.md\` in MediaNest.
`,
  }
}
