// @backend-free: a type check of the docs, no database.
// Every ```ts example in docs/plugins.md is compiled against the contract, so the docs
// cannot drift from it again. An example is a module (it imports or exports), a part of
// definePlugin({...}) (it starts with a key: `jobs: [`, `config: z.object(`), a method of
// a service type (`validate(values) {`), or statements in a plugin's code with `ctx` at
// hand. The names an example leaves to the reader (your own helpers: `download`, `pushRow`,
// `countOwn`…) are declared loosely below; everything it asks of the contract is checked.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DOCS = path.join(ROOT, 'docs/plugins.md')

/** What the examples use without defining: the reader's own code. */
const READERS_OWN = ['download', 'pushRow', 'countOwn', 'insertTarget', 'unreadCount', 'plexUser', 'plexToken', 'isServerOwner',
  'host', 'file', 'url', 'key', 'viewer', 'form', 'userId', 'req', 'res']

export function examplesOf(markdown: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end].trim() !== '```') end++
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return out
}

function wrap(code: string): string {
  const prelude = [
    "import { definePlugin, z, BadInput, type PluginContext, type ServiceType, type Request, type Response, type Viewer } from 'medianest/plugin-api'",
    ...READERS_OWN.filter((n) => new RegExp(`\\b${n}\\b`).test(code) && !new RegExp(`\\b(const|let|var|function)\\s+${n}\\b|import[^\\n]*\\b${n}\\b|\\(\\{ ${n} \\}\\)|\\(${n}\\)`).test(code))
      .map((n) => n === 'req' ? 'declare const req: Request' : n === 'res' ? 'declare const res: Response' : n === 'viewer' ? 'declare const viewer: Viewer' : `declare const ${n}: any`),
    'declare const ctx: PluginContext<any>',
    'export {}',
  ]
  const body = code.trim()
  if (/^(import|export) /m.test(body)) {
    // A module of its own: only the names it uses and does not import.
    const imported = new Set([...body.matchAll(/import (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((s) => s.replace(/^\s*type\s+/, '').trim())))
    // Its own imports, no shared `ctx` (a module gets it as a parameter), and the reader's names it uses.
    const readers = prelude.slice(1, -2).filter((l) => !imported.has(/declare const (\w+)/.exec(l)?.[1] ?? ''))
    return [...readers, body].join('\n')
  }
  if (/^register\(/.test(body)) {
    return `${prelude.join('\n')}\nexport default definePlugin({ name: 'x', version: '1.0.0', api: '^1.12.0',\n${body}\n})`
  }
  if (/^\w+\([^)]*\)\s*\{/.test(body)) {
    return `${prelude.join('\n')}\nconst _type: ServiceType = { name: 'x', label: 'X', async test() { return { ok: true, message: 'ok' } },\n${body}\n}\nvoid _type`
  }
  if (/^config:/.test(body)) {
    return `${prelude.join('\n')}\nexport default definePlugin({ name: 'x', version: '1.0.0', api: '^1.12.0',\n${body}\nregister: () => ({}) })`
  }
  if (/^[a-zA-Z]+: *[[{]/.test(body)) {
    return `${prelude.join('\n')}\nexport default definePlugin({ name: 'x', version: '1.0.0', api: '^1.12.0', register: (ctx) => ({\n${body}\n}) })`
  }
  return `${prelude.join('\n')}\nexport async function example(): Promise<void> {\n${body}\n}`
}

describe('docs/plugins.md: every TypeScript example compiles against the contract', function () {
  this.timeout(120_000)

  it('type-checks each example, naming the line of any that does not', () => {
    const examples = examplesOf(fs.readFileSync(DOCS, 'utf8'))
    expect(examples.length).to.be.at.least(15)
    const dir = fs.mkdtempSync(path.join(ROOT, '.doc-examples-'))
    try {
      const files = examples.map((e) => {
        const file = path.join(dir, `line-${e.line}.ts`)
        fs.writeFileSync(file, wrap(e.code))
        return file
      })
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noUnusedLocals: false }, include: [], files }))
      const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' })
      const problems = (tsc.stdout + tsc.stderr).split('\n').filter((l) => /error TS/.test(l))
        .map((l) => l.replace(/^.*line-(\d+)\.ts\((\d+),\d+\)/, (_m, line: string, at: string) => `docs/plugins.md example at line ${line} (its line ${at})`))
      expect(problems, problems.join('\n')).to.deep.equal([])
      expect(tsc.status).to.equal(0)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
