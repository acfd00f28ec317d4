// `medianest/testing`: what a plugin's own tests import, from any folder. The conformance
// suite every plugin passes, a whole MediaNest on a fresh database to drive over HTTP,
// and chai's expect (so a plugin outside this repository needs no test libraries of its own
// beyond mocha).
export { checkPluginConformance, describePluginConformance, type ConformanceOptions } from './conformance.ts'
export { startTestHost, type TestHost, type TestHostOptions } from './test-host.ts'
export { TestClient } from './http-client.ts'
export { freshDatabase, onPostgres, databasePrefix } from './test-db.ts'
export { configureService, type ServiceSettings } from './configure-service.ts'
/** The shared clock: clock.advance(ms) moves every plugin's ctx.clock (and ends its sleeps); clock.reset() after the test. */
export { clock } from '../../core/clock.ts'
export { waitFor, sleep } from './wait-for.ts'
export { expect } from 'chai'
export { browserAvailable, launchBrowser, newTestContext, shareSession, visit } from './browser.ts'
export { expectAccessible } from './axe.ts'
export { waitForText, waitForVisible } from './page-waits.ts'
export { startFakeReceiver, type FakeReceiver } from './fake-receiver.ts'
export { startFakeServer, type FakeServer, type FakeHandler, type RecordedRequest, type FakeResponse } from './fake-server.ts'
