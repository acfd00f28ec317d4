// Boot-time checks of a plugin's webhooks: every problem names the plugin and the
// webhook, so a community author reads what to fix before anything is mounted.
import { durationMs } from '../config.ts'
import type { Duration, WebhookDefinition } from '../plugin-api.ts'

export const WEBHOOK_ID = /^[a-z][a-z0-9-]{0,63}$/
export const WEBHOOK_PATH = /^[a-z0-9][a-z0-9-/]*$/
const KINDS = new Set(['shared-secret', 'hmac-sha256'])
const HEADER = /^[A-Za-z0-9-]{1,100}$/

export function validateWebhooks(plugin: string, webhooks: WebhookDefinition[] | undefined): string[] {
  const problems: string[] = []
  const at = `plugin "${plugin}"`
  if (webhooks === undefined) return problems
  if (!Array.isArray(webhooks)) return [`${at}: webhooks must be a list`]
  const ids = new Map<string, number>()
  const paths = new Map<string, string>()
  for (const w of webhooks) {
    const where = `${at}: webhook "${w?.id}"`
    if (typeof w?.id !== 'string' || !WEBHOOK_ID.test(w.id)) problems.push(`${where}: the id must be lower-case letters, digits and dashes`)
    ids.set(w?.id, (ids.get(w?.id) ?? 0) + 1)
    const path = w?.path
    if (typeof path !== 'string' || !WEBHOOK_PATH.test(path) || path.length > 200 || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      problems.push(`${where}: path "${String(path)}" must be a relative path of lower-case letters, digits and dashes (segments separated by single slashes, no '..'), e.g. 'requests' or 'sonarr/grab'`)
    } else if (paths.has(path)) {
      problems.push(`${where}: its path "${path}" clashes with webhook "${paths.get(path)}" (each path answers one webhook)`)
    } else {
      paths.set(path, w.id)
    }
    const v = w?.verify
    if (!v || typeof v !== 'object') {
      problems.push(`${where}: declare how a delivery proves itself: verify { kind: 'shared-secret' | 'hmac-sha256', header, secret }`)
    } else {
      if (!KINDS.has(v.kind)) problems.push(`${where}: verify.kind "${String(v.kind)}" is not one of 'shared-secret', 'hmac-sha256'`)
      if (typeof v.header !== 'string' || !HEADER.test(v.header)) problems.push(`${where}: verify.header must name an HTTP header`)
      if (typeof v.secret !== 'function') problems.push(`${where}: verify.secret must be a function returning the configured secret`)
      if (v.kind === 'hmac-sha256') {
        if (v.timestampHeader !== undefined && (typeof v.timestampHeader !== 'string' || !HEADER.test(v.timestampHeader))) problems.push(`${where}: verify.timestampHeader must name an HTTP header`)
        if (v.toleranceSeconds !== undefined && !(Number.isInteger(v.toleranceSeconds) && v.toleranceSeconds > 0)) problems.push(`${where}: verify.toleranceSeconds must be a whole number of seconds`)
        if (v.encoding !== undefined && v.encoding !== 'hex' && v.encoding !== 'base64') problems.push(`${where}: verify.encoding must be 'hex' or 'base64'`)
      }
    }
    if (typeof w?.handle !== 'function') problems.push(`${where}: handle(delivery) must be a function`)
    if (w?.dedupe !== undefined && typeof w.dedupe !== 'function') problems.push(`${where}: dedupe must be a function`)
    if (w?.maxBytes !== undefined && !(Number.isInteger(w.maxBytes) && w.maxBytes > 0 && w.maxBytes <= 10 * 1024 * 1024)) {
      problems.push(`${where}: maxBytes must be a whole number of bytes, at most 10 MiB`)
    }
    if (w?.limit !== undefined && !(Number.isInteger(w.limit) && w.limit >= 1)) problems.push(`${where}: limit must be a whole number of at least 1`)
    if (w?.window !== undefined) {
      try {
        durationMs(w.window as Duration)
      } catch {
        problems.push(`${where}: window "${String(w.window)}" is not a duration (use e.g. 1m)`)
      }
    }
  }
  for (const [id, count] of ids) if (count > 1) problems.push(`${at}: two webhooks share the id "${id}"`)
  return problems
}
