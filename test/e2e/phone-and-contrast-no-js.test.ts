// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// The JavaScript-off half of phone-and-contrast.test.ts, in a file of its own so the
// two halves run in parallel workers.
import { describePhonePages } from './phone-pages.ts'

describePhonePages(false)
