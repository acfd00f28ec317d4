// What a filter or search form's htmx request puts in the browser history. The form
// sends every field, filled or not (`?correlation_id=&status=&user=…`); the server knows
// the clean address of what it answered, so it says which URL to push. And it pushes
// only a new address: live search followed by Enter asks for the same results twice,
// which must make one history entry, not two.
import type { Request, Response } from 'express'
import { wantsFragment } from '../views.ts'

export function pushCleanUrl(req: Request, res: Response, href: string): void {
  if (!wantsFragment(req)) return
  let current: string | null = null
  try {
    const url = new URL(req.get('HX-Current-URL') ?? '')
    current = url.pathname + url.search
  } catch {
    current = null
  }
  res.setHeader('HX-Push-Url', current === href ? 'false' : href)
}
