// htmx 4 evaluates code for hx-on:, js: values, trigger filters and js: confirms.
// Our CSP (script-src 'self', no unsafe-eval) forbids that, which is htmx 4's
// counterpart of htmx 2's allowEval=false: so no template may use them.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const root = fileURLToPath(new URL('../..', import.meta.url))

function templates(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name)
    // Mail templates are read by mail clients, not under our CSP, and need inline styles.
    if (d.isDirectory()) return d.name === 'node_modules' || d.name === 'mail' ? [] : templates(p)
    return d.name.endsWith('.eta') ? [p] : []
  })
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/\shx-on[:-]/, 'hx-on handlers (inline code)'],
  [/\shx-(vals|headers|confirm|config)(:[a-z]+)*=["']js:/, 'js: values (eval)'],
  [/\shx-trigger=["'][^"']*\[/, 'hx-trigger filters [...] (eval)'],
  [/<script(?![^>]*\bsrc=)[^>]*>/, 'inline <script> (blocked by the CSP)'],
  [/\sstyle=["']/, 'inline style attributes (blocked by the CSP)'],
  [/\shx-ext=/, 'hx-ext (htmx 2; include the extension script instead)'],
  [/\son[a-z]+=["']/, 'inline event handler attributes'],
]

describe('templates: nothing the CSP would block or htmx would eval', () => {
  const files = [...templates(path.join(root, 'views')), ...templates(path.join(root, 'plugins'))]

  it('finds the templates', () => {
    expect(files.length).to.be.greaterThan(5)
  })

  it('uses no hx-on, js: values, trigger filters, inline scripts, styles or handlers', () => {
    const hits: string[] = []
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8')
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(text)) hits.push(`${path.relative(root, file)}: ${what}`)
      }
    }
    expect(hits, hits.join('\n')).to.deep.equal([])
  })

  it('puts the CSRF header on <body> with :inherited, so every htmx request carries it', () => {
    const layout = fs.readFileSync(path.join(root, 'views/layout.eta'), 'utf8')
    expect(layout).to.match(/<body hx-headers:inherited=/)
  })
})
