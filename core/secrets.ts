// Secrets at rest: AES-256-GCM, a random 12-byte nonce each time, the row's identity
// as associated data (a sealed value copied to another row does not open), and a
// versioned format naming the key, so keys can rotate. Never a plaintext fallback.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Secrets } from './plugin-api.ts'

const FORMAT = 'v1'

export class SecretError extends Error {}

export interface KeyRing {
  current: { id: string; key: Buffer }
  all: Map<string, Buffer>
}

function keyFrom(material: string | Buffer): { id: string; key: Buffer } {
  const key = crypto.createHash('sha256').update(material).digest()
  const id = crypto.createHash('sha256').update(key).digest('hex').slice(0, 8)
  return { id, key }
}

/**
 * The key comes from MEDIANEST_SECRET when set; otherwise one is generated once into
 * DATA_DIR/secret.key (mode 0600). `previous` keys still open old values.
 */
export function loadKeyRing(options: { secret?: string; dataDir: string; previous?: string[] }): KeyRing {
  let material: string | Buffer
  if (options.secret) {
    material = options.secret
  } else {
    const file = path.resolve(options.dataDir, 'secret.key')
    fs.mkdirSync(path.dirname(file), { recursive: true })
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    material = fs.readFileSync(file, 'utf8').trim()
  }
  const current = keyFrom(material)
  const all = new Map([[current.id, current.key]])
  for (const old of options.previous ?? []) {
    const k = keyFrom(old)
    all.set(k.id, k.key)
  }
  return { current, all }
}

export function createSecrets(ring: KeyRing): Secrets {
  return {
    encrypt(plaintext, associatedData) {
      const nonce = crypto.randomBytes(12)
      const cipher = crypto.createCipheriv('aes-256-gcm', ring.current.key, nonce)
      cipher.setAAD(Buffer.from(associatedData, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return [FORMAT, ring.current.id, nonce.toString('base64url'), body.toString('base64url')].join(':')
    },
    decrypt(sealed, associatedData) {
      const [format, keyId, nonceText, bodyText] = sealed.split(':')
      if (format !== FORMAT || !keyId || !nonceText || !bodyText) {
        throw new SecretError('a stored secret is not in a format this version can read')
      }
      const key = ring.all.get(keyId)
      if (!key) throw new SecretError(`a stored secret was sealed with key ${keyId}, which is not configured`)
      const body = Buffer.from(bodyText, 'base64url')
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(nonceText, 'base64url'))
      decipher.setAAD(Buffer.from(associatedData, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - 16))
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8')
      } catch {
        throw new SecretError('a stored secret could not be opened (wrong key, or it belongs to another record)')
      }
    },
  }
}

/** A key for one purpose (CSRF tokens…), derived from the current key so it rotates with it. */
export function deriveKey(ring: KeyRing, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', ring.current.key, Buffer.alloc(0), `medianest:${purpose}`, 32))
}
