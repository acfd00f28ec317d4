// The JavaScript-off half of phone-and-contrast.test.ts, in a file of its own so the
// two halves run in parallel workers.
import { describePhonePages } from './phone-pages.ts'

describePhonePages(false)
