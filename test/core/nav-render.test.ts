// NavItem.render (API 1.1): a nav entry that shows something of its own (a count), with a
// DOM id live updates can target; a failing render falls back to the plain link.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { validateContributions } from '../../core/plugins/validate.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const fixture = fileURLToPath(new URL('../fixtures/plugins/nav-counter', import.meta.url))

describe('plugin nav entries that render their own HTML', function () {
  this.timeout(60_000)
  let host: TestHost
  before(async () => { host = await startTestHost({ plugins: { 'nav-counter': { enabled: true, source: fixture } } }) })
  after(async () => { await host?.stop() })

  it('puts the rendered entry in an <li> with the id <plugin>-nav-<id>, per page load', async () => {
    const { client } = await host.signedIn()
    const first = await client.get('/')
    expect(first.text).to.match(/<li id="nav-counter-nav-count" class="nav-rendered"><a href="\/nav-counter">Counter <span id="nav-counter-value">\d+<\/span> for USER<\/a><\/li>/)
    const n = Number(/nav-counter-value">(\d+)</.exec(first.text)![1])
    const second = await client.get('/')
    expect(second.text).to.include(`nav-counter-value">${n + 1}<`)
  })

  it('shows the plain link when a render throws, and the page still answers 200', async () => {
    const { client } = await host.signedIn()
    const page = await client.get('/')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('<li id="nav-counter-nav-broken"><a href="/nav-counter/broken">Broken entry</a></li>')
    expect(page.text).to.include('<li><a href="/nav-counter/plain">Plain</a></li>')
  })

  it('does not render nav entries for an htmx fragment (no header there)', async () => {
    const { client } = await host.signedIn()
    const before = Number(/nav-counter-value">(\d+)</.exec((await client.get('/')).text)![1])
    await client.get('/account', { htmx: true })
    const after = Number(/nav-counter-value">(\d+)</.exec((await client.get('/')).text)![1])
    expect(after).to.equal(before + 1)
  })

  it('refuses a render without an id, a bad id and a duplicate id', () => {
    const render = () => ''
    expect(validateContributions('p', { nav: [{ label: 'A', href: '/p', render }] }).join('\n')).to.include('needs an id')
    expect(validateContributions('p', { nav: [{ id: 'Bad Id', label: 'A', href: '/p' }] }).join('\n')).to.include('nav id "Bad Id"')
    expect(validateContributions('p', { nav: [{ id: 'a', label: 'A', href: '/p' }, { id: 'a', label: 'B', href: '/p/b' }] }).join('\n')).to.match(/nav ids.*"a"|duplicate.*a/i)
  })

  it('(1.5) refuses a place that does not exist, an Admin-menu entry outside /admin/<plugin>, a priority that is not a number', () => {
    expect(validateContributions('p', { nav: [{ label: 'A', href: '/p', place: 'sidebar' as never }] }).join('\n')).to.include('has place "sidebar"; use one of main, indicator, account, admin')
    expect(validateContributions('p', { nav: [{ label: 'A', href: '/p', place: 'admin' }] }).join('\n')).to.include('is in the Admin menu, so its link goes under /admin/p')
    expect(validateContributions('p', { nav: [{ label: 'A', href: '/p', priority: Number.NaN }] }).join('\n')).to.include('has a priority that is not a number')
    expect(validateContributions('p', { nav: [{ label: 'A', href: '/admin/p', place: 'admin', priority: 5 }, { label: 'B', href: '/p', place: 'account' }] })).to.deep.equal([])
  })
})
