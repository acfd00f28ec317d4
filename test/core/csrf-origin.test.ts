import http from 'node:http'
import { expect } from 'chai'
import { sessionCookieName } from '../../core/auth/cookies.ts'
import type { TestClient } from '../support/http-client.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const HELLO = { hello: { enabled: true, config: { greetingsPerHour: 10_000 } } }
const CROSS_SITE = 'This request came from another site and was refused.'

/**
 * Posts a greeting as `client` with exactly these headers (node:http, because fetch
 * will not send a Host of our choosing). 202 means the Origin check let it through.
 */
function greet(host: TestHost, client: TestClient, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const cookie = sessionCookieName({ secure: host.config.publicUrl?.startsWith('https:') ?? false })
  const body = 'message=hi'
  return new Promise((resolve, reject) => {
    const req = http.request(`${host.url}/hello`, {
      method: 'POST',
      headers: {
        Accept: 'text/html', 'HX-Request': 'true', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length),
        Cookie: `${cookie}=${client.cookie(cookie)}`, 'X-CSRF-Token': client.csrfToken!, ...headers,
      },
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function expectRefused(host: TestHost, client: TestClient, headers: Record<string, string>) {
  const res = await greet(host, client, headers)
  expect(res.status, JSON.stringify(headers)).to.equal(403)
  expect(res.text, JSON.stringify(headers)).to.include(CROSS_SITE)
}

async function expectAccepted(host: TestHost, client: TestClient, headers: Record<string, string>) {
  expect((await greet(host, client, headers)).status, JSON.stringify(headers)).to.equal(202)
}

describe('CSRF: the Origin check', function () {
  this.timeout(60_000)

  describe('with publicUrl https://media.example.com', () => {
    let host: TestHost
    let client: TestClient
    before(async () => {
      host = await startTestHost({ plugins: HELLO, config: { publicUrl: 'https://media.example.com' } })
      client = (await host.signedIn()).client
    })
    after(async () => { await host.stop() })

    it('refuses an http:// Origin of the same host, and another port', async () => {
      await expectRefused(host, client, { Host: 'media.example.com', Origin: 'http://media.example.com' })
      await expectRefused(host, client, { Host: 'media.example.com', Origin: 'https://media.example.com:8443' })
    })

    it('accepts its https Origin through a proxy that rewrites Host', async () => {
      await expectAccepted(host, client, { Host: 'media.example.com', Origin: 'https://media.example.com' })
      await expectAccepted(host, client, { Host: 'internal:3000', Origin: 'https://media.example.com' })
    })

    it('refuses an Origin that only the Host header vouches for, and says which address to use', async () => {
      await expectRefused(host, client, { Host: 'internal:3000', Origin: 'http://internal:3000' })
      const res = await greet(host, client, { Host: '192.168.1.10:3000', Origin: 'http://192.168.1.10:3000' })
      expect(res.text).to.include('address is https://media.example.com: open it there')
    })

    it('refuses a malformed Origin', async () => {
      for (const origin of ['null', '', 'https://media.example.com/', 'https://media.example.com/page', 'media.example.com', 'https://media.example.com:99999']) {
        await expectRefused(host, client, { Origin: origin })
      }
    })
  })

  describe('without publicUrl, reached directly (trustProxy 0)', () => {
    let host: TestHost
    let client: TestClient
    let self: URL
    before(async () => {
      host = await startTestHost({ plugins: HELLO })
      client = (await host.signedIn()).client
      self = new URL(host.url)
    })
    after(async () => { await host.stop() })

    it('compares the scheme too, not only the host', async () => {
      await expectAccepted(host, client, { Origin: self.origin })
      await expectRefused(host, client, { Origin: `https://${self.host}` })
    })

    it('ignores X-Forwarded-Host and X-Forwarded-Proto from a caller it does not trust', async () => {
      await expectRefused(host, client, { Origin: 'https://media.example.com', 'X-Forwarded-Host': 'media.example.com', 'X-Forwarded-Proto': 'https' })
      await expectAccepted(host, client, { Origin: self.origin, 'X-Forwarded-Host': 'media.example.com', 'X-Forwarded-Proto': 'https' })
    })
  })

  describe('without publicUrl, behind one trusted proxy (trustProxy 1)', () => {
    let host: TestHost
    let client: TestClient
    before(async () => {
      host = await startTestHost({ plugins: HELLO, config: { trustProxy: 1 } })
      client = (await host.signedIn()).client
    })
    after(async () => { await host.stop() })

    it('compares the Origin with the address the proxy forwarded', async () => {
      const forwarded = { Host: 'internal:3000', 'X-Forwarded-Host': 'media.example.com', 'X-Forwarded-Proto': 'https' }
      await expectAccepted(host, client, { ...forwarded, Origin: 'https://media.example.com' })
      await expectRefused(host, client, { ...forwarded, Origin: 'http://media.example.com' })
      await expectRefused(host, client, { ...forwarded, Origin: 'http://internal:3000' })
    })
  })
})
