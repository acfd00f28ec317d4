// A site channel's choice, as its admin edits it: one set of event-type boxes that means
// "these" or, with "every event type" ticked, "all but the unticked" (so a type added
// later is posted too), a plugin and a lowest severity.
import type { DeclaredEventType } from 'medianest/plugin-api'
import { SEVERITIES, type ChannelSettings, type Severity } from './channels.ts'

export interface SiteChoice { all: boolean; ticked: string[]; plugin: string; minSeverity: string }

export function choiceOf(settings: ChannelSettings, known: string[]): SiteChoice {
  const events = settings.events ?? ['*']
  const all = events.includes('*')
  const except = new Set(settings.except ?? [])
  return { all, ticked: all ? known.filter((e) => !except.has(e)) : events.filter((e) => known.includes(e)), plugin: settings.plugin ?? '', minSeverity: settings.minSeverity ?? '' }
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).filter((x): x is string => typeof x === 'string').slice(0, 1000)
const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : '')

export function readSiteChoice(body: Record<string, unknown>, known: string[], plugins: string[]):
  | { settings: Pick<ChannelSettings, 'events' | 'except' | 'plugin' | 'minSeverity'> }
  | { values: SiteChoice; problems: Record<string, string> } {
  const values: SiteChoice = { all: body.all === '1' || body.all === 'on', ticked: list(body.events), plugin: text(body.plugin), minSeverity: text(body.minSeverity) }
  const problems: Record<string, string> = {}
  const unknown = values.ticked.find((e) => !known.includes(e))
  if (unknown !== undefined) problems.events = `"${unknown.slice(0, 120)}" is not an event type here; reload the page.`
  else if (!values.all && !values.ticked.length) problems.events = 'Tick at least one event type, or "every event type" (to stop this channel, remove it).'
  if (values.plugin && !plugins.includes(values.plugin)) problems.plugin = 'Choose a plugin from the list.'
  if (values.minSeverity && !(SEVERITIES as readonly string[]).includes(values.minSeverity)) problems.minSeverity = 'Choose a severity from the list.'
  if (Object.keys(problems).length) return { values, problems }
  return {
    settings: {
      events: values.all ? ['*'] : [...new Set(values.ticked)].sort(),
      except: values.all ? known.filter((e) => !values.ticked.includes(e)).sort() : undefined,
      plugin: values.plugin || undefined,
      minSeverity: (values.minSeverity || undefined) as Severity | undefined,
    },
  }
}

/** "Every event type but 2, from monitor, severity high and above", for the list of channels. */
export function choiceSummary(settings: ChannelSettings, types: DeclaredEventType[]): string {
  const events = settings.events ?? ['*']
  const known = new Set(types.map((t) => t.event))
  let what: string
  if (events.includes('*')) {
    const except = (settings.except ?? []).filter((e) => known.has(e)).length
    what = except ? `Every event type but ${except}` : 'Every event type'
  } else {
    const n = events.filter((e) => known.has(e)).length
    what = n === 1 ? `1 event type (${types.find((t) => t.event === events.find((e) => known.has(e)))!.title})` : `${n} event types`
  }
  if (settings.plugin) what += `, from ${settings.plugin}`
  if (settings.minSeverity) what += `, severity ${settings.minSeverity} and above when it has one`
  return `${what}.`
}
