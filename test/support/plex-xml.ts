// Plex (plex.tv and the media server) answers XML unless the request says
// `Accept: application/json`. The fakes answer XML too, so a client that forgets the
// header fails in tests as it would against the real thing. This is the XML form of
// the same data: scalars become attributes, lists become child elements
// (PMS's `Directory: [...]` → <Directory/>…; plex.tv's `connections: [...]` →
// <connections><connection/>…</connections>), null values are left out.
export function toXml(tag: string, value: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(tag, value)}\n`
}

/** A top-level list (plex.tv's `/api/v2/resources` is a bare JSON array). */
export function toXmlList(tag: string, itemTag: string, items: Array<Record<string, unknown>>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${tag} size="${items.length}">${items.map((item) => element(itemTag, item)).join('')}</${tag}>\n`
}

function element(tag: string, value: Record<string, unknown>): string {
  const attrs: string[] = []
  const children: string[] = []
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue
    if (Array.isArray(v)) children.push(list(key, v))
    else if (typeof v === 'object') children.push(element(key, v as Record<string, unknown>))
    else attrs.push(` ${key}="${escape(String(v))}"`)
  }
  return children.length ? `<${tag}${attrs.join('')}>${children.join('')}</${tag}>` : `<${tag}${attrs.join('')} />`
}

function list(key: string, items: unknown[]): string {
  const asElement = (tag: string, item: unknown) =>
    typeof item === 'object' && item !== null ? element(tag, item as Record<string, unknown>) : `<${tag}>${escape(String(item))}</${tag}>`
  // PMS names each list item's element after the key itself; plex.tv wraps a plural.
  if (/^[A-Z]/.test(key)) return items.map((item) => asElement(key, item)).join('')
  const singular = key.endsWith('s') ? key.slice(0, -1) : key
  return `<${key}>${items.map((item) => asElement(singular, item)).join('')}</${key}>`
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** True when the request asked for JSON, as Plex decides it. */
export function wantsJson(accept: string | undefined): boolean {
  return /\bapplication\/json\b/i.test(accept ?? '')
}
