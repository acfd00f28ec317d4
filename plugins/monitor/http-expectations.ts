// What an HTTP check sends and what its answer must show (Uptime Kuma's HTTP monitor
// settings): method, headers, basic auth, status range, keyword present or absent, a
// JSON path's value. Read and checked in one place, for a service's fields (the admin's
// form, errors beside each field) and for a `checks` entry in the config alike.
import parseJsonPath from 'jsonpath-rfc9535/parser'
import { query, type JsonValue } from 'jsonpath-rfc9535'

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
export type HttpMethod = (typeof METHODS)[number]

export interface HttpExpectations {
  method: HttpMethod
  headers: Record<string, string>
  /** From the service's user field and sealed password field; never from the config file. */
  basicAuth: { user: string; password: string } | null
  expect: { min: number; max: number }
  keyword: string | null
  /** DOWN when the keyword IS in the answer (a page saying "maintenance", "error"). */
  keywordAbsent: boolean
  jsonPath: string | null
  /** The value the path must have, as text; null: the path must match something. */
  jsonEquals: string | null
}

export const MAX_KEYWORD = 200
const MAX_HEADERS = 20
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/
// The probe owns these: a check that set them would break its own request.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive'])
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

/** '200-399' or '200': the answer statuses that count as up. */
export function parseStatusRange(text: string): { min: number; max: number } | null {
  const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d))?\s*$/.exec(text)
  if (!m) return null
  const min = Number(m[1])
  const max = m[2] ? Number(m[2]) : min
  return min <= max ? { min, max } : null
}

/** The settings as typed (a service's fields or a config entry); each key's problem in words. */
export interface ExpectationInput {
  method?: unknown
  headers?: unknown
  basicAuthUser?: unknown
  basicAuthPassword?: unknown
  expectStatus?: unknown
  keyword?: unknown
  keywordAbsent?: unknown
  jsonPath?: unknown
  jsonEquals?: unknown
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '')

export function readExpectations(input: ExpectationInput): { value: HttpExpectations; problems: Partial<Record<keyof ExpectationInput, string>> } {
  const problems: Partial<Record<keyof ExpectationInput, string>> = {}

  const methodText = text(input.method).toUpperCase() || 'GET'
  const method = (METHODS as readonly string[]).includes(methodText) ? (methodText as HttpMethod) : 'GET'
  if (method !== methodText) problems.method = `Use one of ${METHODS.join(', ')}, not "${text(input.method).slice(0, 20)}".`

  const { headers, problem } = readHeaders(input.headers)
  if (problem) problems.headers = problem

  const user = text(input.basicAuthUser)
  if (user.includes(':')) problems.basicAuthUser = 'A basic-auth user name cannot contain ":" (the protocol separates it from the password with one).'
  else if (CONTROL.test(user) || user.length > 200) problems.basicAuthUser = 'Use at most 200 characters, without control characters.'
  else if (user && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) problems.basicAuthUser = 'The headers set Authorization already: use one or the other.'
  const password = typeof input.basicAuthPassword === 'string' ? input.basicAuthPassword : ''

  const statusText = text(input.expectStatus) || '200-399'
  const expect = parseStatusRange(statusText)
  if (!expect) problems.expectStatus = 'Write a status or a range of statuses, like 200 or 200-399.'

  const keyword = text(input.keyword) || null
  if (keyword && keyword.length > MAX_KEYWORD) problems.keyword = `Keep the keyword under ${MAX_KEYWORD} characters: it is looked for in the answer's text.`
  const keywordAbsent = input.keywordAbsent === true || input.keywordAbsent === 'true' || input.keywordAbsent === 'on'
  if (keywordAbsent && !keyword) problems.keywordAbsent = 'Give the keyword that must not be on the page.'

  const jsonPath = text(input.jsonPath) || null
  if (jsonPath) {
    const why = jsonPathProblem(jsonPath)
    if (why) problems.jsonPath = why
  }
  const jsonEquals = text(input.jsonEquals) || null
  if (jsonEquals && !jsonPath) problems.jsonEquals = 'Give the JSON path whose value this is.'
  if (jsonEquals && jsonEquals.length > MAX_KEYWORD) problems.jsonEquals = `Keep the value under ${MAX_KEYWORD} characters.`

  if (method === 'HEAD' && (keyword || jsonPath)) problems.method = 'A HEAD answer has no body: use GET to look for a keyword or a JSON value.'

  return {
    value: {
      method, headers, basicAuth: user && !problems.basicAuthUser ? { user, password } : null,
      expect: expect ?? { min: 200, max: 399 }, keyword, keywordAbsent, jsonPath, jsonEquals,
    },
    problems,
  }
}

/** `Name: value` per line (a form), or an object (the config). */
function readHeaders(raw: unknown): { headers: Record<string, string>; problem?: string } {
  const pairs: Array<[string, string, string]> = []
  if (typeof raw === 'string') {
    raw.split(/\r\n|\r|\n/).forEach((line, i) => {
      if (!line.trim()) return
      const colon = line.indexOf(':')
      pairs.push(colon < 0 ? ['', '', `line ${i + 1}`] : [line.slice(0, colon).trim(), line.slice(colon + 1).trim(), `line ${i + 1}`])
    })
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw)) pairs.push([name, typeof value === 'string' ? value : '\u0000', `"${name.slice(0, 40)}"`])
  } else if (raw !== undefined && raw !== null && raw !== '') {
    return { headers: {}, problem: 'Write the headers as an object of names and values.' }
  }
  if (pairs.length > MAX_HEADERS) return { headers: {}, problem: `Send at most ${MAX_HEADERS} headers.` }
  const headers: Record<string, string> = {}
  for (const [name, value, where] of pairs) {
    if (!name) return { headers: {}, problem: `Header ${where} has no name: write it like X-Api-Key: abc123.` }
    if (!TOKEN.test(name)) return { headers: {}, problem: `Header ${where}: "${name.slice(0, 40)}" is not a header name (letters, digits and - only).` }
    if (RESERVED.has(name.toLowerCase())) return { headers: {}, problem: `Header ${where}: ${name} is set by the check itself.` }
    if (CONTROL.test(value) || value.length > 1000) return { headers: {}, problem: `Header ${where}: the value must be one line of at most 1000 characters.` }
    if (Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) return { headers: {}, problem: `Header ${where}: ${name} is given twice.` }
    headers[name] = value
  }
  return { headers }
}

function jsonPathProblem(path: string): string | null {
  if (path.length > 500) return 'Keep the JSON path under 500 characters.'
  if (!path.startsWith('$')) return 'A JSON path starts with $, like $.status or $.services[0].healthy.'
  try {
    parseJsonPath(path)
    return null
  } catch (error) {
    return `This JSON path does not parse: ${(error as Error).message.slice(0, 200)}`
  }
}

/** What the answer's JSON says at the path: null when it matches, else why not in words. */
export function jsonMismatch(body: string, truncated: boolean, path: string, equals: string | null): string | null {
  let doc: JsonValue
  try {
    doc = JSON.parse(body) as JsonValue
  } catch {
    return truncated ? 'The answer is larger than the 1 MiB a check reads, so its JSON cannot be read.' : 'The answer is not JSON.'
  }
  const found = query(doc, path)
  if (!found.length) return `Nothing in the answer is at ${path}.`
  if (equals === null) return null
  const got = asText(found[0])
  return got === equals ? null : `${path} is ${JSON.stringify(got.slice(0, 100))}, expected ${JSON.stringify(equals)}.`
}

/** A JSON value as a person would type it: text as is, anything else in JSON. */
const asText = (v: JsonValue) => (typeof v === 'string' ? v : JSON.stringify(v))
