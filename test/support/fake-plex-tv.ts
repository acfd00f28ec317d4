// A loopback plex.tv speaking CONTRACTS.md "plex.tv": the PIN sign-in flow, the
// account behind a token, and the servers a token can reach. It is as strict as the
// real service where a client can get it wrong (400 without X-Plex-Client-Identifier,
// XML unless Accept asks for JSON, 401 for a revoked token, 404 for an expired PIN) and
// slightly stricter where the contract is: the token counts only in the X-Plex-Token
// header, never in the query string. Tests drive it with plain methods: they play the
// person at app.plex.tv (approvePin) and the owner sharing a server (shareServer).
import crypto from 'node:crypto'
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from './fake-server.ts'
import { toXml, toXmlList, wantsJson } from './plex-xml.ts'

export interface FakePlexUser {
  id: number
  uuid: string
  username: string
  title: string
  /** Managed (Plex Home) accounts have none: sent as `"email": null`. */
  email: string | null
  thumb: string
}

export interface FakePin {
  id: number
  code: string
  strong: boolean
  /** The X-Plex-Client-Identifier that created it; only that client may read it. */
  clientIdentifier: string
  product: string
  createdAt: Date
  expiresAt: Date
  authToken: string | null
}

export interface FakeConnection {
  uri: string
  local: boolean
  /** A plex.tv relay connection: listed only with `includeRelay=1`. */
  relay?: boolean
}

export interface FakeServerResource {
  name: string
  /** The server's machineIdentifier (what PMS's /identity says). */
  clientIdentifier: string
  ownerId: number
  /** In the order given: plex.tv promises none, so clients sort for themselves. */
  connections: FakeConnection[]
  sharedWith: Set<number>
}

export interface FakePlexTvOptions {
  /** How long a new PIN lives, in seconds (plex.tv: 1800 for a strong PIN). */
  pinLifetimeSeconds?: number
}

export interface FakePlexTv extends FakeServer {
  addUser(user: { username: string } & Partial<Omit<FakePlexUser, 'username'>>): FakePlexUser
  /** A token for a user as if they had signed in elsewhere (skips the PIN flow). */
  issueToken(userId: number): string
  revokeToken(token: string): void
  /** What app.plex.tv does when the person signs in and allows the app: the PIN gets a token. */
  approvePin(code: string, userId: number): string
  /** The PIN runs out now: reading it answers 404 from here on. */
  expirePin(code: string): void
  pins(): FakePin[]
  addServer(server: { clientIdentifier: string; ownerId: number; name?: string; connections?: FakeConnection[] }): FakeServerResource
  shareServer(clientIdentifier: string, userId: number): void
  unshareServer(clientIdentifier: string, userId: number): void
  /** The accessToken plex.tv lists for this user on this server (to let the fake PMS accept it). */
  accessToken(clientIdentifier: string, userId: number): string
}

const newToken = () => crypto.randomBytes(15).toString('base64url')
const randomCode = (length: number, alphabet: string) =>
  Array.from(crypto.randomBytes(length), (b) => alphabet[b % alphabet.length]).join('')

export async function startFakePlexTv(options: FakePlexTvOptions = {}): Promise<FakePlexTv> {
  const pinLifetimeMs = (options.pinLifetimeSeconds ?? 1800) * 1000
  const users = new Map<number, FakePlexUser>()
  const tokens = new Map<string, number>()
  const pins = new Map<number, FakePin>()
  const servers = new Map<string, FakeServerResource>()
  const accessTokens = new Map<string, string>()
  const playerIds = new Map<number, string>()
  let nextUserId = 1000001
  let nextPinId = 1234567

  const userOf = (req: RecordedRequest): FakePlexUser | undefined => {
    const token = req.headers['x-plex-token']
    const id = typeof token === 'string' ? tokens.get(token) : undefined
    return id === undefined ? undefined : users.get(id)
  }
  const live = (pin: FakePin | undefined) => (pin && pin.expiresAt.getTime() > Date.now() ? pin : undefined)
  const pinByCode = (code: string) => [...pins.values()].find((p) => p.code === code)
  const serverAccessToken = (clientIdentifier: string, userId: number) => {
    const key = `${clientIdentifier} ${userId}`
    if (!accessTokens.has(key)) accessTokens.set(key, newToken())
    return accessTokens.get(key)!
  }

  const pinBody = (pin: FakePin) => ({
    id: pin.id,
    code: pin.code,
    product: pin.product,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: { code: 'NL', country: 'Netherlands', city: 'Amsterdam', subdivisions: 'North Holland', coordinates: '52.37, 4.89' },
    expiresIn: Math.max(0, Math.round((pin.expiresAt.getTime() - Date.now()) / 1000)),
    createdAt: pin.createdAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    expiresAt: pin.expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    authToken: pin.authToken,
    newRegistration: null,
  })

  const userBody = (user: FakePlexUser, token: string) => ({
    id: user.id,
    uuid: user.uuid,
    username: user.username,
    title: user.title,
    email: user.email,
    friendlyName: '',
    locale: null,
    emailOnlyAuth: false,
    hasPassword: true,
    protected: false,
    thumb: user.thumb,
    authToken: token,
    restricted: false,
    home: false,
    guest: false,
    joinedAt: 1_600_000_000,
    subscription: { active: false, status: 'Inactive', plan: null, features: [] },
  })

  const resourcesBody = (user: FakePlexUser, query: Record<string, string>) => {
    const devices: Array<Record<string, unknown>> = []
    for (const server of servers.values()) {
      const owned = server.ownerId === user.id
      if (!owned && !server.sharedWith.has(user.id)) continue
      const owner = users.get(server.ownerId)
      devices.push({
        name: server.name,
        product: 'Plex Media Server',
        productVersion: '1.40.2.8395-c67dce28e',
        platform: 'Linux',
        platformVersion: '6.1.0',
        device: 'PC',
        clientIdentifier: server.clientIdentifier,
        createdAt: '2024-01-01T00:00:00Z',
        lastSeenAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        provides: 'server',
        ownerId: owned ? null : server.ownerId,
        sourceTitle: owned ? null : owner?.username ?? null,
        publicAddress: '203.0.113.7',
        accessToken: serverAccessToken(server.clientIdentifier, user.id),
        owned,
        home: false,
        synced: false,
        relay: true,
        presence: true,
        httpsRequired: false,
        publicAddressMatches: false,
        dnsRebindingProtection: false,
        natLoopbackSupported: false,
        connections: server.connections
          .filter((c) => (c.relay ? query.includeRelay === '1' : true))
          .filter((c) => (c.uri.startsWith('https:') ? query.includeHttps === '1' : true))
          .map((c) => {
            const u = new URL(c.uri)
            return { protocol: u.protocol.replace(':', ''), address: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), uri: c.uri, local: c.local, relay: Boolean(c.relay), IPv6: false }
          }),
      })
    }
    // The browser the person signed in with is a device too: a client must filter by `provides`.
    if (!playerIds.has(user.id)) playerIds.set(user.id, crypto.randomUUID())
    devices.push({
      name: 'Chrome', product: 'Plex Web', productVersion: '4.118.0', platform: 'Chrome', platformVersion: '120.0',
      device: 'Linux', clientIdentifier: playerIds.get(user.id), createdAt: '2024-01-01T00:00:00Z',
      lastSeenAt: '2024-01-02T00:00:00Z', provides: 'client,player,pubsub-player', ownerId: null, sourceTitle: null,
      publicAddress: '203.0.113.9', accessToken: null, owned: true, home: false, synced: false, relay: false,
      presence: false, httpsRequired: false, publicAddressMatches: false, dnsRebindingProtection: false,
      natLoopbackSupported: false, connections: [],
    })
    return devices
  }

  const handle = (req: RecordedRequest): FakeResponse => {
    const json = wantsJson(req.headers.accept)
    const answer = (status: number, body: Record<string, unknown>, tag: string): FakeResponse => json
      ? { status, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) }
      : { status, headers: { 'Content-Type': 'application/xml; charset=utf-8' }, body: toXml(tag, body) }
    const error = (status: number, code: number, message: string) => answer(status, { errors: [{ code, message, status }] }, 'errors')
    const clientIdentifier = req.headers['x-plex-client-identifier']

    if (typeof clientIdentifier !== 'string' || !clientIdentifier) return error(400, 1000, 'X-Plex-Client-Identifier is missing')

    if (req.method === 'POST' && req.path === '/api/v2/pins') {
      const product = req.headers['x-plex-product']
      if (typeof product !== 'string' || !product) return error(400, 1000, 'X-Plex-Product is missing')
      const strong = req.query.strong === 'true'
      const now = Date.now()
      const pin: FakePin = {
        id: nextPinId++,
        code: strong ? randomCode(25, 'abcdefghijklmnopqrstuvwxyz0123456789') : randomCode(4, 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'),
        strong,
        clientIdentifier,
        product,
        createdAt: new Date(now),
        expiresAt: new Date(now + (strong ? pinLifetimeMs : Math.min(pinLifetimeMs, 900_000))),
        authToken: null,
      }
      pins.set(pin.id, pin)
      return answer(201, pinBody(pin), 'pin')
    }

    const pinPath = /^\/api\/v2\/pins\/(\d+)$/.exec(req.path)
    if (req.method === 'GET' && pinPath) {
      const pin = live(pins.get(Number(pinPath[1])))
      // A PIN belongs to the client that made it: another identifier cannot read it.
      if (!pin || pin.clientIdentifier !== clientIdentifier) return error(404, 1020, 'Code not found or expired')
      return answer(200, pinBody(pin), 'pin')
    }

    if (req.method === 'GET' && (req.path === '/api/v2/user' || req.path === '/api/v2/resources')) {
      const user = userOf(req)
      if (!user) return error(401, 1001, 'User could not be authenticated')
      if (req.path === '/api/v2/user') return answer(200, userBody(user, req.headers['x-plex-token'] as string), 'user')
      const devices = resourcesBody(user, req.query)
      return json
        ? { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(devices) }
        : { status: 200, headers: { 'Content-Type': 'application/xml; charset=utf-8' }, body: toXmlList('resources', 'resource', devices) }
    }

    return error(404, 1002, 'Not Found')
  }

  const server = await startFakeServer(handle)

  const needUser = (userId: number) => {
    const user = users.get(userId)
    if (!user) throw new Error(`fake plex.tv: no user ${userId} (call addUser first)`)
    return user
  }
  const needServer = (clientIdentifier: string) => {
    const found = servers.get(clientIdentifier)
    if (!found) throw new Error(`fake plex.tv: no server ${clientIdentifier} (call addServer first)`)
    return found
  }
  const needPin = (code: string) => {
    const pin = pinByCode(code)
    if (!pin) throw new Error(`fake plex.tv: no PIN with code ${code}`)
    return pin
  }

  return {
    ...server,
    addUser(input) {
      const id = input.id ?? nextUserId++
      const uuid = input.uuid ?? crypto.randomBytes(8).toString('hex')
      const user: FakePlexUser = {
        id,
        uuid,
        username: input.username,
        title: input.title ?? input.username,
        email: input.email === undefined ? `${input.username.toLowerCase()}@example.com` : input.email,
        thumb: input.thumb ?? `https://plex.tv/users/${uuid}/avatar?c=1700000000`,
      }
      users.set(id, user)
      return user
    },
    issueToken(userId) {
      needUser(userId)
      const token = newToken()
      tokens.set(token, userId)
      return token
    },
    revokeToken(token) {
      tokens.delete(token)
    },
    approvePin(code, userId) {
      needUser(userId)
      const pin = needPin(code)
      if (!live(pin)) throw new Error(`fake plex.tv: PIN ${code} has expired; app.plex.tv would not accept it`)
      if (pin.authToken) throw new Error(`fake plex.tv: PIN ${code} was already approved`)
      const token = newToken()
      tokens.set(token, userId)
      pin.authToken = token
      return token
    },
    expirePin(code) {
      needPin(code).expiresAt = new Date(Date.now() - 1)
    },
    pins: () => [...pins.values()],
    addServer(input) {
      needUser(input.ownerId)
      const resource: FakeServerResource = {
        name: input.name ?? 'Home Server',
        clientIdentifier: input.clientIdentifier,
        ownerId: input.ownerId,
        connections: input.connections ?? [],
        sharedWith: new Set(),
      }
      servers.set(resource.clientIdentifier, resource)
      return resource
    },
    shareServer(clientIdentifier, userId) {
      needUser(userId)
      needServer(clientIdentifier).sharedWith.add(userId)
    },
    unshareServer(clientIdentifier, userId) {
      needServer(clientIdentifier).sharedWith.delete(userId)
    },
    accessToken(clientIdentifier, userId) {
      needServer(clientIdentifier)
      needUser(userId)
      return serverAccessToken(clientIdentifier, userId)
    },
  }
}
