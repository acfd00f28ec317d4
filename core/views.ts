// Eta with '<plugin>:path' names. Eta renders only below one views folder, so a
// resolver maps each namespace to its plugin's folder, refusing paths that leave it.
// One helper decides page or fragment, for every route of every plugin.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { Request, Response } from 'express'
import type { PageOrFragmentOptions, Views } from './plugin-api.ts'

export const CORE_VIEWS_DIR = fileURLToPath(new URL('../views', import.meta.url))

/** Request-scoped values every full page needs: viewer, nav, CSRF token, request id. */
/** `page.publicLive`: a page people read signed out (it mints no CSRF cookie for a visitor who has none). */
export type LayoutLocals = (req: Request, res: Response, page?: { publicLive: boolean }) => Record<string, unknown> | Promise<Record<string, unknown>>

export class ViewError extends Error {}

/** htmx 4 marks boosted navigation and history restores 'full': those get the page. */
export function wantsFragment(req: Request): boolean {
  return req.get('HX-Request') === 'true' && req.get('HX-Request-Type') === 'partial'
}

/** Where a kept body goes in the layout (no template writes a NUL). */
const BODY_MARK = '\u0000medianest-body\u0000'

export class ViewEngine {
  private readonly roots = new Map<string, string>()
  private readonly eta: Eta
  private layoutLocals: LayoutLocals = () => ({})

  constructor(options: { coreDir?: string; cache?: boolean } = {}) {
    const coreDir = options.coreDir ?? CORE_VIEWS_DIR
    const roots = this.roots
    // Compiled templates and resolved names are kept in production; in development a
    // changed template shows on the next request.
    const cache = options.cache ?? process.env.NODE_ENV === 'production'
    this.eta = new Eta({
      views: coreDir,
      autoEscape: true,
      cache,
      varName: 'it',
    })
    // Names: 'layout' (core), 'hello:index' (plugin hello); includes inside a plugin
    // template may be relative ('./_row') and stay inside that plugin's folder.
    // By the including file, then the name: no key string built per include (a list page
    // includes its row template once per row).
    const resolved = new Map<string, Map<string, string>>()
    this.eta.resolvePath = function resolve(template, opts) {
      const from = opts?.filepath ?? ''
      let names = resolved.get(from)
      const known = cache ? names?.get(template) : undefined
      if (known) return known
      const file = resolveTemplate(template, opts?.filepath)
      if (cache) {
        if (!names) resolved.set(from, (names = new Map()))
        names.set(template, file)
      }
      return file
    }
    const resolveTemplate = (template: string, from: string | undefined): string => {
      const named = /^([a-z][a-z0-9-]*):(.+)$/.exec(template)
      let root = coreDir
      let rel = template
      if (named) {
        const dir = roots.get(named[1])
        if (!dir) throw new ViewError(`No views are registered for '${named[1]}' (template '${template}')`)
        root = dir
        rel = named[2]
      } else if (from && template.startsWith('.')) {
        root = [...roots.values(), coreDir].find((r) => isInside(r, from)) ?? coreDir
        rel = path.relative(root, path.resolve(path.dirname(from), template))
      }
      if (!path.extname(rel)) rel += '.eta'
      const file = path.resolve(root, rel)
      if (!isInside(root, file)) throw new ViewError(`Template '${template}' is outside its views folder`)
      return file
    }
  }

  addNamespace(name: string, dir: string): void {
    this.roots.set(name, path.resolve(dir))
  }

  setLayoutLocals(fn: LayoutLocals): void {
    this.layoutLocals = fn
  }

  render(name: string, data: Record<string, unknown> = {}): Promise<string> {
    return this.eta.renderAsync(name, data)
  }

  /** The fragment alone for htmx partial requests; otherwise the page inside the layout. */
  async pageOrFragment(req: Request, res: Response, options: PageOrFragmentOptions): Promise<void> {
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'HX-Request, HX-Request-Type')
    else res.vary('HX-Request').vary('HX-Request-Type')
    // The layout's locals are made afresh for each request: the page's data goes into
    // them rather than into copies (two spreads a page were a share of its garbage).
    let bytes: Buffer
    if (options.html && wantsFragment(req)) {
      bytes = options.html
    } else if (options.html) {
      // Only the layout is made per request: the kept body is spliced in as bytes (encoding a
      // large page's text again for every visitor was most of its cost).
      const locals = await this.layoutLocals(req, res, { publicLive: options.publicLive === true })
      const layout = await this.render('layout', Object.assign(locals, { title: options.title, body: BODY_MARK, publicLive: options.publicLive === true }))
      const at = layout.indexOf(BODY_MARK)
      bytes = Buffer.concat([Buffer.from(layout.slice(0, at)), options.html, Buffer.from(layout.slice(at + BODY_MARK.length))])
    } else {
      const locals = await this.layoutLocals(req, res, { publicLive: options.publicLive === true })
      const page = Object.assign({}, locals, options.data)
      let html: string
      if (wantsFragment(req)) {
        html = await this.render(options.fragment, page)
      } else {
        const body = await this.render(options.page, page)
        html = await this.render('layout', Object.assign(locals, { title: options.title, body, publicLive: options.publicLive === true }))
      }
      // Encoded once: Buffer.byteLength and then end(string) walk a large page twice (and a
      // page joined from many template pieces is flattened first). Node corks the headers
      // and the body into one write either way; send's ETag is off anyway.
      bytes = Buffer.from(html)
    }
    res.statusCode = options.status ?? 200
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.setHeader('Content-Length', bytes.length)
    res.end(bytes)
  }

  /** The Views capability of one plugin's context. */
  forPlugin(): Views {
    return {
      render: (name, data) => this.render(name, data),
      pageOrFragment: (req, res, options) => this.pageOrFragment(req, res, options),
    }
  }
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}
