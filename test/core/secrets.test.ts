import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { createSecrets, loadKeyRing, SecretError } from '../../core/secrets.ts'

describe('secrets at rest: AES-256-GCM', () => {
  const ring = loadKeyRing({ secret: 'a-secret-that-is-at-least-32-characters', dataDir: '/nonexistent' })
  const secrets = createSecrets(ring)

  it('seals with a fresh nonce each time, in a versioned format naming the key', () => {
    const a = secrets.encrypt('api-key-123', 'service_configs:overseerr:api_key')
    const b = secrets.encrypt('api-key-123', 'service_configs:overseerr:api_key')
    expect(a).to.not.equal(b)
    expect(a).to.match(new RegExp(`^v1:${ring.current.id}:`)).and.not.include('api-key-123')
    expect(secrets.decrypt(a, 'service_configs:overseerr:api_key')).to.equal('api-key-123')
  })

  it('does not open a value copied to another row (associated data)', () => {
    const sealed = secrets.encrypt('api-key-123', 'service_configs:overseerr:api_key')
    expect(() => secrets.decrypt(sealed, 'service_configs:plex:api_key')).to.throw(SecretError, 'could not be opened')
  })

  it('never falls back to plaintext', () => {
    expect(() => secrets.decrypt('api-key-123', 'x')).to.throw(SecretError, 'not in a format')
  })

  it('opens values sealed with a previous key after rotation, and names a missing key', () => {
    const old = createSecrets(loadKeyRing({ secret: 'the-old-secret-that-is-32-characters-long', dataDir: '/nonexistent' }))
    const sealed = old.encrypt('plex-token', 'users:1:plex_token')
    const rotated = createSecrets(loadKeyRing({ secret: 'the-new-secret-that-is-32-characters-long', dataDir: '/nonexistent', previous: ['the-old-secret-that-is-32-characters-long'] }))
    expect(rotated.decrypt(sealed, 'users:1:plex_token')).to.equal('plex-token')
    expect(() => secrets.decrypt(sealed, 'users:1:plex_token')).to.throw(SecretError, 'which is not configured')
  })

  it('generates a key once into the data folder, readable only by its owner', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-key-'))
    try {
      const first = loadKeyRing({ dataDir: dir })
      const second = loadKeyRing({ dataDir: dir })
      expect(second.current.id).to.equal(first.current.id)
      expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).to.equal(0o600)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
