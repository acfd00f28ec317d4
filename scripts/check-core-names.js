// The core knows no plugin by name (STYLE.md): no first-party plugin's name in the core's
// code's strings (comments may explain). A plugin's name in the core would be a dependency no import
// shows: the core would break, or behave differently, when that plugin is off or renamed.
// Run with the static checks (scripts/run-tests.js); exits 1 naming each file and line.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const names = fs.readdirSync(path.join(ROOT, 'plugins'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
const word = new RegExp(`(?<![\\w-])(${names.map((n) => n.replace(/[-]/g, '\\-')).join('|')})(?![\\w-])`, 'i')

/** Every string in a file's code (literals and template parts), with its line: comments are not code. */
function stringsOf(file) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found = []
  const visit = (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      found.push({ text: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name)
    return d.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

const problems = []
for (const file of files(path.join(ROOT, 'core'))) {
  for (const { text, line } of stringsOf(file)) {
    const m = word.exec(text)
    if (m) problems.push(`${path.relative(ROOT, file)}:${line}: names the plugin "${m[1]}": ${JSON.stringify(text.slice(0, 100))}`)
  }
}
if (problems.length) {
  process.stderr.write(`The core names plugins (it must not know any by name):\n${problems.map((p) => `  ${p}`).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write(`The core names none of the ${names.length} first-party plugins.\n`)
