// The stylesheet, icon and htmx under versioned URLs: '/public/medianest.css' is
// linked as '/public/medianest.<hash>.css', where <hash> is the start of the file's
// SHA-256. What this module guarantees:
// - A URL names one content: the current hash is served with
//   `Cache-Control: public, max-age=31536000, immutable`, so a browser asks once per
//   release and never revalidates.
// - Each file is compressed once per process (brotli at its best quality and gzip,
//   off the event loop), kept in memory and sent as the browser accepts it. Nothing
//   is compressed per request.
// - The unversioned URL, and a hash that is not the current one (a page rendered by
//   the previous release, or by another process in a rolling deploy), get the current
//   file marked `no-cache` with an ETag: the page stays styled, the browser revalidates
//   (304), and no cache keeps stale bytes under a name that outlives a release.
// - Requests map to registered files only: no path from a request reaches the disk.
// - A stylesheet is served without its comments (minifyCss).
// With `reloadOnChange` (development) an edited file gets a new hash on the next page.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { Request, RequestHandler } from 'express'

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)

export const IMMUTABLE = 'public, max-age=31536000, immutable'
const HASH_LENGTH = 12
const VERSIONED = new RegExp(`^(.*/[^/.]+)\\.([0-9a-f]{${HASH_LENGTH}})((?:\\.[^/.]+)+)$`)

export interface AssetSource {
  /** The URL templates ask for, e.g. '/public/medianest.css'. */
  url: string
  file: string
}

type Encoding = 'br' | 'gzip'

interface Asset {
  file: string
  mtimeMs: number
  hash: string
  versionedUrl: string
  raw: Buffer
  /** Only the encodings that came out smaller than the file. */
  encoded: Promise<Partial<Record<Encoding, Buffer>>>
}

// Keyed by content hash: every app in one process (tests start many) compresses a file once.
const compressedByHash = new Map<string, Promise<Partial<Record<Encoding, Buffer>>>>()

export class StaticAssets {
  private readonly assets = new Map<string, Asset>()
  private readonly reloadOnChange: boolean

  constructor(sources: AssetSource[], options: { reloadOnChange?: boolean } = {}) {
    this.reloadOnChange = options.reloadOnChange ?? false
    for (const source of sources) {
      if (!/^\/[^?#]*\/[^/.]+\.[^/]+$/.test(source.url)) {
        throw new Error(`Static asset URL '${source.url}' needs a folder and a file name with an extension`)
      }
      this.assets.set(source.url, load(source.url, source.file))
    }
  }

  /** The versioned URL of a registered asset: what every template links to. */
  readonly url = (assetUrl: string): string => {
    const asset = this.current(assetUrl)
    if (!asset) throw new Error(`No static asset is registered at '${assetUrl}'`)
    return asset.versionedUrl
  }

  readonly handler: RequestHandler = async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    const match = VERSIONED.exec(req.path)
    const asset = this.current(match ? match[1] + match[3] : req.path)
    if (!asset) return next()

    const encodings = await asset.encoded
    const encoding = negotiate(req, encodings)
    const body = encoding ? encodings[encoding]! : asset.raw
    res.type(path.extname(asset.file))
    res.vary('Accept-Encoding')
    if (encoding) res.setHeader('Content-Encoding', encoding)
    res.setHeader('Content-Length', String(body.length))
    res.setHeader('ETag', `"${asset.hash}${encoding ? `-${encoding}` : ''}"`)
    res.setHeader('Cache-Control', match?.[2] === asset.hash ? IMMUTABLE : 'public, no-cache')
    if (req.fresh) {
      res.status(304).end()
      return
    }
    res.status(200).end(req.method === 'HEAD' ? undefined : body)
  }

  private current(assetUrl: string): Asset | undefined {
    const asset = this.assets.get(assetUrl)
    if (!asset || !this.reloadOnChange) return asset
    const mtimeMs = fs.statSync(asset.file).mtimeMs
    if (mtimeMs === asset.mtimeMs) return asset
    const reloaded = load(assetUrl, asset.file)
    this.assets.set(assetUrl, reloaded)
    return reloaded
  }
}

/**
 * Our stylesheet without its comments and spare whitespace: it explains every component
 * to plugin authors in comments, which cost every first page 1.7 KB compressed. Only
 * what cannot change a rule goes: comments, runs of whitespace, spaces around { } ; >
 * (no string in it holds these).
 */
export function minifyCss(css: string): string {
  return css.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ').replace(/ ?([{};>]) ?/g, '$1').trim()
}

function load(url: string, file: string): Asset {
  const raw = file.endsWith('.css') ? Buffer.from(minifyCss(fs.readFileSync(file, 'utf8'))) : fs.readFileSync(file)
  const hash = crypto.createHash('sha256').update(raw).digest('hex').slice(0, HASH_LENGTH)
  const slash = url.lastIndexOf('/')
  const dot = url.indexOf('.', slash)
  const versionedUrl = `${url.slice(0, dot)}.${hash}${url.slice(dot)}`
  let encoded = compressedByHash.get(hash)
  if (!encoded) {
    encoded = compress(raw)
    compressedByHash.set(hash, encoded)
  }
  return { file, mtimeMs: fs.statSync(file).mtimeMs, hash, versionedUrl, raw, encoded }
}

async function compress(raw: Buffer): Promise<Partial<Record<Encoding, Buffer>>> {
  const [br, gz] = await Promise.all([
    brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION }),
  ])
  const result: Partial<Record<Encoding, Buffer>> = {}
  if (br.length < raw.length) result.br = br
  if (gz.length < raw.length) result.gzip = gz
  return result
}

/** br if the browser takes it, else gzip, else the file as it is. */
function negotiate(req: Request, available: Partial<Record<Encoding, Buffer>>): Encoding | undefined {
  const accepted = new Map<string, number>()
  for (const part of (req.get('Accept-Encoding') ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (!name) continue
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    accepted.set(name, q === undefined ? 1 : Number(q))
  }
  const takes = (encoding: Encoding) => (accepted.get(encoding) ?? accepted.get('*') ?? 0) > 0
  return (['br', 'gzip'] as const).find((encoding) => available[encoding] && takes(encoding))
}

/** The core's assets: everything in public/ plus htmx and its SSE extension. */
export function coreAssets(options: { publicDir: string; htmxDist: string; reloadOnChange?: boolean }): StaticAssets {
  const publicFiles = fs.readdirSync(options.publicDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /^[^.]+\.[^/]+$/.test(entry.name))
    .map((entry) => ({ url: `/public/${entry.name}`, file: path.join(options.publicDir, entry.name) }))
  return new StaticAssets([
    ...publicFiles,
    { url: '/vendor/htmx.min.js', file: path.join(options.htmxDist, 'htmx.min.js') },
    { url: '/vendor/hx-sse.min.js', file: path.join(options.htmxDist, 'ext', 'hx-sse.min.js') },
  ], { reloadOnChange: options.reloadOnChange })
}
