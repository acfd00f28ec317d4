// How guessable a password is, by zxcvbn-ts: its common pack (leaked passwords,
// keyboard patterns) and English pack (words, names, Wikipedia terms), plus the
// account's own email and name, and this site's name, as words an attacker tries first.
// The packs are 1.6 MB of word lists that zxcvbn ranks when it is built: they load on
// the first check (about 0.25 s), once, never on import, so a process that checks no
// password pays nothing.
// Levenshtein matching stays off: it made one check cost up to a second and a half,
// and the exact, l33t and reversed matches already catch what the policy needs.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core'

export interface PasswordOwner {
  email: string
  name?: string | null
}

export interface Strength {
  /** zxcvbn's 0 (guessable in under 10³ tries) to 4 (over 10¹⁰). */
  score: number
  /** zxcvbn's warning and suggestions, in English; empty when it has none. */
  warning: string
  suggestions: string[]
  /** The share of the password (0 to 1) made of the owner's email, name or this site's name. */
  personalShare: number
  /** Where those parts come from. */
  personalSources: PersonalSource[]
}

/** Words of this site an attacker would try with the owner's. */
const SITE_WORDS = ['medianest', 'media nest', 'plex']

interface Estimator {
  zxcvbn: ZxcvbnFactory
  /** zxcvbn's warning for a match with the owner's words, replaced by one that says which. */
  personalWarning: string
}

let estimator: Promise<Estimator> | null = null

function loadEstimator(): Promise<Estimator> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en'),
    ])
    const zxcvbn = new ZxcvbnFactory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    })
    return { zxcvbn, personalWarning: en.translations.warnings.userInputs }
  })().catch((error: unknown) => {
    estimator = null
    throw error
  })
  return estimator
}

/** Lower case with everything but letters and digits removed: "John.Smith" → "johnsmith". */
export function compact(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
}

/** The email's part before the last @, lower-cased. */
export function emailLocalPart(email: string): string {
  const normalized = email.trim().toLowerCase()
  const at = normalized.lastIndexOf('@')
  return at > 0 ? normalized.slice(0, at) : normalized
}

export type PersonalSource = 'email' | 'name' | 'site'

/** The email, its parts and the name in the spellings people build passwords from. */
function personalWords(owner: PasswordOwner): Map<string, PersonalSource> {
  const email = owner.email.trim().toLowerCase()
  const local = emailLocalPart(email)
  const domain = email.slice(local.length + 1)
  const name = (owner.name ?? '').trim().toLowerCase()
  const words = new Map<string, PersonalSource>()
  const add = (source: PersonalSource, list: string[]) => {
    for (const w of list) if (w.length >= 3 && !words.has(w)) words.set(w, source)
  }
  add('email', [email, local, compact(local), ...local.split(/[^\p{L}\p{N}]+/u), domain, domain.split('.')[0]])
  add('name', [name, compact(name), ...name.split(/[^\p{L}\p{N}]+/u)])
  add('site', SITE_WORDS)
  return words
}

/** Scores a password: 1–70 ms, up to 0.25 s for 256 characters; the first call also loads the packs. */
export async function passwordStrength(password: string, owner: PasswordOwner): Promise<Strength> {
  const { zxcvbn, personalWarning } = await loadEstimator()
  // zxcvbn reads at most its maxLength (256, our longest password) characters.
  const checked = password.slice(0, 256)
  const words = personalWords(owner)
  const result = zxcvbn.check(checked, [...words.keys()])
  const personal = result.sequence.filter((m) => m.pattern === 'dictionary' && m.dictionaryName === 'userInputs')
  const found = new Set(personal.map((m) => words.get(String(m.matchedWord)) ?? 'email'))
  const personalSources = (['email', 'name', 'site'] as const).filter((source) => found.has(source))
  return {
    score: result.score,
    warning: result.feedback.warning === personalWarning
      ? `It contains ${describePersonal(personalSources)}, which others can find out.`
      : result.feedback.warning ?? '',
    suggestions: result.feedback.suggestions,
    personalShare: checked.length ? personal.reduce((sum, m) => sum + m.token.length, 0) / checked.length : 0,
    personalSources,
  }
}

/** "your email", "your name and this site's name", ... */
export function describePersonal(sources: PersonalSource[]): string {
  const words = { email: 'your email', name: 'your name', site: 'this site\'s name' }
  const list = sources.map((s) => words[s])
  if (!list.length) return 'your email or name'
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`
}
