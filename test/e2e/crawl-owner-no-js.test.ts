// @backend-free: what it checks (looks, accessibility, weight) is the same on either database.
import { describeCrawl } from './crawl.ts'

describeCrawl('owner', false)
