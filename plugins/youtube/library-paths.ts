// Where a download's files live, and nowhere else: `<libraryPath>/<folder>/` for the
// finished files (folder = the playlist title, sanitised), `<libraryPath>/.medianest/`
// for each download's working folder (.part files, so a retry continues them) and the
// download archive (so a re-run skips finished items). Every path is resolved and
// checked to be inside libraryPath before it is used.
import fs from 'node:fs'
import path from 'node:path'

const WORK = '.medianest'
const MAX_FOLDER = 100

/** A playlist title as one safe folder name: no separators, NUL, control characters, dots first, or more than 100 characters. */
export function folderName(title: string | null | undefined, fallback: string): string {
  const cleaned = (title ?? '')
    .normalize('NFKC')
    .replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s._-]+/, '')
    .replace(/[\s.]+$/, '')
  const short = Array.from(cleaned).slice(0, MAX_FOLDER).join('').trim()
  return short === '' || short === '..' ? fallback : short
}

/** Resolves `parts` under `root`, throwing if the result would leave it. */
export function inside(root: string, ...parts: string[]): string {
  const base = path.resolve(root)
  const full = path.resolve(base, ...parts)
  if (full !== base && !full.startsWith(base + path.sep)) throw new Error(`refusing a path outside the library: ${full}`)
  return full
}

export const isInside = (root: string, candidate: string): boolean => {
  const base = path.resolve(root)
  const full = path.resolve(candidate)
  return full.startsWith(base + path.sep)
}

export const playlistDir = (libraryPath: string, folder: string) => inside(libraryPath, folder)
export const workDir = (libraryPath: string, downloadId: string) => inside(libraryPath, WORK, 'work', downloadId)
export const archiveFile = (libraryPath: string, archiveKey: string) => inside(libraryPath, WORK, 'archives', `${archiveKey}.txt`)

/** The ids already in an archive file (its lines are "<extractor> <id>"). */
export function archivedIds(file: string): Set<string> {
  let text = ''
  try { text = fs.readFileSync(file, 'utf8') } catch { return new Set() }
  return new Set(text.split('\n').map((l) => l.trim().split(' ').slice(1).join(' ')).filter(Boolean))
}

/** Takes these ids out of an archive (tmp + rename), so the next run downloads them again. */
export function forgetInArchive(file: string, ids: Set<string>): void {
  if (ids.size === 0 || !fs.existsSync(file)) return
  const kept = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !ids.has(l.trim().split(' ').slice(1).join(' ')))
  fs.writeFileSync(`${file}.tmp`, kept.length ? `${kept.join('\n')}\n` : '')
  fs.renameSync(`${file}.tmp`, file)
}

/** A MediaNest path as the Plex server sees it (the plexPath mapping), or unchanged. */
export function toPlexPath(libraryPath: string, plexPath: string | undefined, local: string): string {
  if (!plexPath) return local
  const rel = path.relative(path.resolve(libraryPath), path.resolve(local))
  return path.posix.join(plexPath.replace(/\\/g, '/'), ...rel.split(path.sep))
}

export interface DiskUse { freeBytes: number; totalBytes: number; usedByLibraryBytes: number }

/** Free space on the library's file system, and what the library's files take (bounded walk). */
export async function diskUse(libraryPath: string, maxEntries = 50_000): Promise<DiskUse | null> {
  try {
    const s = await fs.promises.statfs(libraryPath)
    let used = 0
    let seen = 0
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => [])
      for (const e of entries) {
        if (++seen > maxEntries) return
        const p = path.join(dir, e.name)
        if (e.isDirectory()) await walk(p)
        else if (e.isFile()) used += (await fs.promises.stat(p).catch(() => ({ size: 0 }))).size
      }
    }
    await walk(libraryPath)
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize, usedByLibraryBytes: used }
  } catch {
    return null
  }
}

export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await fs.promises.statfs(dir)
    return s.bavail * s.bsize
  } catch {
    return null
  }
}
