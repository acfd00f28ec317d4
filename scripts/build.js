#!/usr/bin/env node
// The production build: compiles the TypeScript sources (core, plugins, migrations,
// seeds, bench) to JavaScript under build/, mirroring the repository's layout, and
// copies what is not TypeScript beside it (views, public, each plugin's views), so
// every `new URL('../views', import.meta.url)` finds its folder from build/ as from
// the sources. `npm install` and `npm ci` run it (the "prepare" script); `npm start`
// runs it with --if-stale first, which costs a directory walk when nothing changed.
//
//   node scripts/build.js             compile and copy now
//   node scripts/build.js --if-stale  only when a source changed since the last build
//   node scripts/build.js --install   the same, but without TypeScript (an install that
//                                     omits dev dependencies) it only warns: `npm start`
//                                     then refuses with the same explanation
//
// The build does not type-check (`--noCheck`): `npm test` and `npm run typecheck` do.
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = path.join(root, 'build')
const stampFile = path.join(out, '.stamp')
/** Compiled: .ts files become .js; every other file is copied. */
const COMPILED_ROOTS = ['core', 'plugins', 'migrations', 'seeds', 'bench']
/** Copied whole: templates and static files. */
const ASSET_ROOTS = ['views', 'public']
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'scripts/build.js']

function* files(dir) {
  if (!fs.existsSync(dir)) return
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* files(full)
    else if (entry.isFile()) yield full
  }
}

const isSource = (file) => file.endsWith('.ts') && !file.endsWith('.d.ts')
const isTest = (file) => file.endsWith('.test.ts')

/** Every input of the build with its size and modification time: any edit, addition or removal changes it. */
function fingerprint() {
  const hash = crypto.createHash('sha256')
  const all = [...COMPILED_ROOTS, ...ASSET_ROOTS].flatMap((r) => [...files(path.join(root, r))])
  for (const file of [...all, ...INPUTS.map((f) => path.join(root, f))].sort()) {
    const stat = fs.statSync(file, { throwIfNoEntry: false })
    hash.update(`${path.relative(root, file)}\0${stat ? `${stat.size}\0${stat.mtimeMs}` : 'missing'}\n`)
  }
  return hash.digest('hex')
}

function staleness() {
  if (!fs.existsSync(stampFile)) return 'there is no build yet'
  return fs.readFileSync(stampFile, 'utf8').trim() === fingerprint() ? null : 'a source changed since the last build'
}

function typescriptCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    return null
  }
}

function build() {
  const tsc = typescriptCompiler()
  if (!tsc) {
    process.stderr.write('medianest build: TypeScript is not installed (an install without dev dependencies?).\n' +
      '  Build where dev dependencies are installed (`npm install`, or `npm ci`), then `npm prune --omit=dev` if you want them gone;\n' +
      '  or run from the sources with `npm run dev`.\n')
    return false
  }
  const started = Date.now()
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--noCheck'], { cwd: root, stdio: 'inherit' })
  if (compiled.status !== 0) {
    process.stderr.write(`medianest build: tsc failed (exit ${compiled.status ?? compiled.signal})\n`)
    return false
  }
  const wanted = new Set()
  for (const r of COMPILED_ROOTS) {
    for (const file of files(path.join(root, r))) {
      const rel = path.relative(root, file)
      if (isSource(file)) { if (!isTest(file)) wanted.add(rel.replace(/\.ts$/, '.js')); continue }
      if (file.endsWith('.d.ts')) continue
      copy(rel)
      wanted.add(rel)
    }
  }
  for (const r of ASSET_ROOTS) {
    for (const file of files(path.join(root, r))) {
      const rel = path.relative(root, file)
      copy(rel)
      wanted.add(rel)
    }
  }
  // A source that was deleted or renamed must not live on in the build (a removed
  // migration would still run). Other folders tsc writes (build/test/support, what
  // the bench imports) are left alone.
  for (const r of [...COMPILED_ROOTS, ...ASSET_ROOTS]) {
    for (const file of files(path.join(out, r))) {
      if (!wanted.has(path.relative(out, file))) fs.rmSync(file)
    }
  }
  fs.writeFileSync(stampFile, `${fingerprint()}\n`)
  process.stderr.write(`medianest build: compiled to ${path.relative(process.cwd(), out) || out}/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  return true
}

function copy(rel) {
  const from = path.join(root, rel)
  const to = path.join(out, rel)
  const a = fs.statSync(from)
  const b = fs.statSync(to, { throwIfNoEntry: false })
  if (b && b.size === a.size && b.mtimeMs === a.mtimeMs) return
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.copyFileSync(from, to)
  fs.utimesSync(to, a.atime, a.mtime)
}

const mode = process.argv[2]
if (mode === '--if-stale' || mode === '--install') {
  const why = staleness()
  if (why) {
    process.stderr.write(`medianest build: ${why}; compiling\n`)
    if (!build() && !(mode === '--install' && !typescriptCompiler())) process.exit(1)
  }
} else if (mode === undefined) {
  if (!build()) process.exit(1)
} else {
  process.stderr.write('usage: node scripts/build.js [--if-stale | --install]\n')
  process.exit(2)
}
