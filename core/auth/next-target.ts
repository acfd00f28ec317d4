// Where to send someone after they sign in. The target arrives from a query string or a
// form field, so it is hostile until proven local. Checking it as a string is not
// enough: browsers drop tabs and newlines from a URL and read '\' as '/', so
// '/\t/evil.example' becomes '//evil.example' on the way out. We refuse any such byte
// outright, then resolve what is left against our own origin and keep it only when it
// stays there; what we hand back is the parsed path, never the raw input.
const OWN_ORIGIN = 'http://medianest.invalid'
/** ASCII controls, space, DEL, backslash, C1 controls and Unicode line separators. */
const UNSAFE = /[\u0000-\u0020\u007f-\u009f\\\u2028\u2029]/
const MAX_LENGTH = 2000

export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > MAX_LENGTH) return '/'
  if (!next.startsWith('/') || next.startsWith('//') || UNSAFE.test(next)) return '/'
  let url: URL
  try {
    url = new URL(next, OWN_ORIGIN)
  } catch {
    return '/'
  }
  if (url.origin !== OWN_ORIGIN) return '/'
  const local = url.pathname + url.search + url.hash
  return local.startsWith('//') ? '/' : local
}
