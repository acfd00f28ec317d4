// A small browser stand-in for tests: a cookie jar, the CSRF token read from the
// last page, form posts, and htmx-style requests.
export interface ClientResponse {
  status: number
  headers: Headers
  text: string
  location: string | null
}

export interface RequestOptions {
  /** Send as htmx would for a targeted swap (HX-Request: true, HX-Request-Type: partial). */
  htmx?: boolean | 'full'
  headers?: Record<string, string>
  /** Leave the CSRF token out (to test refusals). */
  noCsrf?: boolean
}

export class TestClient {
  private readonly cookies = new Map<string, string>()
  csrfToken: string | null = null

  constructor(readonly baseUrl: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name)
  }

  /** The Cookie header this client sends, for requests made without it (raw bytes, streams). */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value)
  }

  private headers(options: RequestOptions): Record<string, string> {
    const h: Record<string, string> = { Accept: 'text/html', ...options.headers }
    if (this.cookies.size) h.Cookie = this.cookieHeader()
    if (options.htmx) {
      h['HX-Request'] = 'true'
      h['HX-Request-Type'] = options.htmx === 'full' ? 'full' : 'partial'
    }
    return h
  }

  private async send(method: string, path: string, body: string | undefined, options: RequestOptions, contentType?: string): Promise<ClientResponse> {
    const headers = this.headers(options)
    if (contentType) headers['Content-Type'] = contentType
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || attrs.some((a) => /max-age=0/i.test(a.trim()))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const text = await res.text()
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1]
      ?? /name="_csrf" value="([^"]+)"/.exec(text)?.[1]
    if (token) this.csrfToken = token
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') }
  }

  get(path: string, options: RequestOptions = {}): Promise<ClientResponse> {
    return this.send('GET', path, undefined, options)
  }

  /** Posts a form; loads a page first when no CSRF token is known yet. Pairs repeat a name (checkboxes). */
  async post(path: string, form: Record<string, string> | Array<[string, string]> = {}, options: RequestOptions = {}): Promise<ClientResponse> {
    return this.formRequest('POST', path, form, options)
  }

  async formRequest(method: string, path: string, form: Record<string, string> | Array<[string, string]>, options: RequestOptions = {}): Promise<ClientResponse> {
    if (!options.noCsrf && !this.csrfToken) await this.get('/login')
    const body = new URLSearchParams(form)
    const headers = { ...options.headers }
    if (!options.noCsrf && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken
    return this.send(method, path, body.toString(), { ...options, headers }, 'application/x-www-form-urlencoded')
  }
}
