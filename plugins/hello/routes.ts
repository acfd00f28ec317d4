import crypto from 'node:crypto'
import type { PluginContext, Request, Response } from 'medianest/plugin-api'
import { z } from 'medianest/plugin-api'
import { recentGreetings } from './greetings.ts'

type HelloContext = PluginContext<{ greeting: string; greetingsPerHour: number }>

const greetBody = z.object({ message: z.string().trim().min(1, 'Write a message.').max(200, 'Keep it under 200 characters.') })

interface GreetForm { values: { message: string }; fields: Record<string, string>; error: string | null; notice: string | null }
/** Shown once after the redirect of a form sent without JavaScript. */
const NOTICES = { sent: 'Sent. It appears in your list as soon as it is recorded.', already: 'That greeting was already sent, so it was not sent again.' }
const emptyForm = (notice: string | null = null): GreetForm => ({ values: { message: '' }, fields: {}, error: null, notice })

export function helloRoutes(ctx: HelloContext) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)

  // One handler per URL: the page, or (for htmx) the form alone, as its status says.
  const render = async (req: Request, res: Response, form: GreetForm, status = 200) => {
    const viewer = ctx.http.mustViewer(req)
    await ctx.views.pageOrFragment(req, res, {
      page: 'hello:index', fragment: 'hello:_form', title: 'Hello', status,
      // A new one-time token each render: the same rendered form sent twice greets once.
      data: { greeting: ctx.config.greeting, name: viewer.name ?? viewer.email, greetings: (await recentGreetings(ctx.db, viewer.id)).map((g) => ({ message: g.message, at: g.created_at.toISOString(), when: ctx.http.formatDate(req, g.created_at) })), form, once: ctx.http.formToken() },
    })
  }

  router.get('/', async (req, res) => render(req, res, emptyForm(ctx.http.takeFlash(req, res, NOTICES))))

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const checked = ctx.http.validate(greetBody, req.body)
    if (!checked.ok) {
      const message = typeof req.body?.message === 'string' ? req.body.message.slice(0, 200) : ''
      return render(req, res, { values: { message }, fields: checked.fields, error: checked.message, notice: null }, 422)
    }
    // A double click, a replayed POST, Back and resend: the same form again greets no one twice.
    const first = await ctx.http.claimForm(req, 'greet') === 'first'
    if (first) {
      try {
        await ctx.jobs.enqueue('greet', { greetingId: crypto.randomUUID(), userId: viewer.id, message: checked.data.message })
      } catch (error) {
        await ctx.http.releaseForm(req, 'greet')
        throw error
      }
    }
    const notice = first ? 'sent' : 'already'
    // htmx: a fresh form; the list updates itself when the job has recorded the greeting.
    return ctx.http.done(req, res, { to: '/hello', notice, inPlace: () => render(req, res, emptyForm(NOTICES[notice]), first ? 202 : 200) })
  })
  return router
}
