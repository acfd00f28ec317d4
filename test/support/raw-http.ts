// HTTP as it crosses the wire: fetch() decodes br and gzip behind our back, so tests
// that count compressed bytes or check Content-Encoding use node:http directly.
import http from 'node:http'
import zlib from 'node:zlib'

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** The body exactly as sent (still compressed). */
  body: Buffer
  /** The body decoded according to Content-Encoding. */
  text(): string
}

export function getRaw(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: () => decode(body, res.headers['content-encoding']).toString('utf8') })
      })
    }).on('error', reject)
  })
}

export function decode(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'br') return zlib.brotliDecompressSync(body)
  if (encoding === 'gzip') return zlib.gunzipSync(body)
  return body
}

/** Opens a response that does not end (an event stream); resolves once headers arrive. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<{ res: http.IncomingMessage; received: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('error', () => undefined)
      resolve({ res, received: () => text, close: () => req.destroy() })
    })
    req.on('error', reject)
  })
}

/** Every same-origin asset a page links to: stylesheets, icons, scripts. */
export function assetUrlsOf(html: string): string[] {
  const urls = new Set<string>()
  for (const m of html.matchAll(/<(?:link|script)\b[^>]*\b(?:href|src)="(\/[^"]*)"/g)) urls.add(m[1])
  return [...urls]
}
