// The smallest complete plugin: one route, one view, one migration, one widget,
// one scheduled job, one event and a demo seed. Disabled unless the config enables it.
import { definePlugin, z } from 'medianest/plugin-api'
import { helloRoutes } from './routes.ts'
import { countGreetings, recentGreetings, recordGreeting } from './greetings.ts'

export default definePlugin({
  name: 'hello',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'An example plugin that greets people; read docs/plugins.md alongside it.',
  enabledByDefault: false,
  config: z.object({
    greeting: z.string().min(1).max(80).default('Hello'),
    greetingsPerHour: z.int().min(1).max(10_000).default(30),
  }),
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  seeds: new URL('./seeds', import.meta.url),
  tables: ['hello_greetings'],
  register(ctx) {
    return {
      routes: helloRoutes(ctx),
      nav: [{ label: 'Hello', href: '/hello' }],
      rateLimits: [{ id: 'greet', method: 'POST', path: '/', limit: ctx.config.greetingsPerHour, window: '1h' }],
      widgets: [{
        id: 'greetings',
        title: 'Greetings',
        async render({ viewer }) {
          return ctx.views.render('hello:_count', { count: await countGreetings(ctx.db), greeting: ctx.config.greeting, name: viewer.name ?? viewer.email })
        },
      }],
      jobs: [{
        name: 'greet',
        timeout: '30s',
        payload: z.object({ greetingId: z.uuid(), userId: z.uuid(), message: z.string().max(200) }),
        // Safe to run again: the row and its event commit together, once per greeting id.
        async run(payload) {
          await ctx.db.transaction(async (trx) => {
            const row = await recordGreeting(trx, payload.userId, payload.message, payload.greetingId)
            if (row) await ctx.events.emit('hello.greeting.sent', { userId: payload.userId, message: payload.message }, { trx })
          })
        },
      }],
      schedules: [{
        id: 'tidy',
        every: '1h',
        timeout: '30s',
        scope: 'cluster',
        async run({ log }) {
          const removed = await ctx.db('hello_greetings').where('created_at', '<', new Date(ctx.clock.nowMs() - 30 * 86_400_000)).del()
          if (removed) log.info(`removed ${removed} greetings older than 30 days`)
        },
      }],
      eventTypes: [{
        event: 'hello.greeting.sent', title: 'Greeting sent', audience: 'subject',
        describe: (p: { message?: string }) => ({ title: 'Greeting sent', message: `Your greeting “${String(p.message ?? '')}” was recorded.`, link: '/hello' }),
      }],
      on: [{
        event: 'hello.greeting.sent',
        async handle(payload: { userId: string }) {
          // The count is site-wide, like the widget: everyone signed in sees it move.
          const count = await countGreetings(ctx.db)
          await ctx.live.publish('message', await ctx.views.render('hello:_count-live', { count }), { role: 'USER' })
          // The sender's list gains the greeting their form promised. One HTML for each of
          // their open pages: the dates in the site's zone, named (each page moves them into its reader's).
          const greetings = (await recentGreetings(ctx.db, payload.userId))
            .map((g) => ({ message: g.message, at: g.created_at.toISOString(), when: ctx.http.formatDate(null, g.created_at) }))
          await ctx.live.publish('message', await ctx.views.render('hello:_greetings-live', { greetings }), { userId: payload.userId })
        },
      }],
    }
  },
})
