// overseerr: search, request, approve, and follow a movie or show from request to
// "available in Plex", through Overseerr (or Jellyseerr). Enabled by default; it asks the
// admin to add the overseerr service before search works.
import { definePlugin, z } from 'medianest/plugin-api'
import { overseerrConfig } from './plugin-config.ts'
import { overseerrRoutes } from './routes.ts'
import { overseerrAdminRoutes } from './admin-routes.ts'
import { overseerrServiceType } from './overseerr-service-type.ts'
import { overseerrWebhook } from './webhook.ts'
import { requestsWidget } from './widget.ts'
import { sendJobFailed, sendRequest } from './sending.ts'
import { pollOpenRequests, syncOne } from './status-sync.ts'
import { problemEventTypes, requestEventTypes } from './event-types.ts'
import { reportJobFailed, sendProblem, syncProblemJob } from './problem-sync.ts'
import { myRequestsCache } from './my-requests-cache.ts'
import { pageCaches, serviceChanged } from './page-caches.ts'
import { overseerrSetupStep } from './setup-step.ts'

const requestIdPayload = z.object({ requestId: z.uuid() })
const problemIdPayload = z.object({ problemId: z.uuid() })
const REPORT_ATTEMPTS = 6

export default definePlugin({
  name: 'overseerr',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'Request movies and shows through Overseerr, and follow them until they are in Plex.',
  config: overseerrConfig,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  seeds: new URL('./seeds', import.meta.url),
  tables: ['media_requests', 'media_request_seasons', 'media_request_timeline', 'media_problems'],
  register(ctx) {
    myRequestsCache(ctx)
    pageCaches(ctx)
    return {
      routes: overseerrRoutes(ctx),
      adminRoutes: overseerrAdminRoutes(ctx),
      setupSteps: [overseerrSetupStep(ctx)],
      nav: [
        { label: 'Requests', href: '/overseerr', priority: 10 },
        { label: 'Request queue', href: '/admin/overseerr', place: 'admin' },
        { label: 'Problem reports', href: '/admin/overseerr/problems', place: 'admin' },
      ],
      widgets: [requestsWidget(ctx)],
      serviceTypes: [overseerrServiceType(ctx)],
      webhooks: [overseerrWebhook(ctx)],
      // Every POST counts, refusals included: the limit guards Overseerr as much as our table.
      rateLimits: [
        { id: 'request', method: 'POST', path: '/requests', limit: ctx.config.requestsPerHour, window: '1h' },
        { id: 'problem', method: 'POST', path: '/problems', limit: ctx.config.problemsPerHour, window: '1h' },
      ],
      jobs: [
        {
          name: 'send', timeout: '2m', attempts: ctx.config.sendAttempts, payload: requestIdPayload,
          async run({ requestId }, job) { await sendRequest(ctx, requestId, job) },
          onFailed: (failure) => sendJobFailed(ctx, failure),
        },
        {
          name: 'sync', timeout: '1m', attempts: 3, payload: requestIdPayload,
          async run({ requestId }, job) { await syncOne(ctx, requestId, job.signal) },
        },
        {
          name: 'report', timeout: '2m', attempts: REPORT_ATTEMPTS, payload: problemIdPayload,
          async run({ problemId }, job) { await sendProblem(ctx, problemId, job, REPORT_ATTEMPTS) },
          onFailed: (failure) => reportJobFailed(ctx, failure),
        },
        {
          name: 'problem-sync', timeout: '1m', attempts: 3, payload: problemIdPayload,
          async run({ problemId }, job) { await syncProblemJob(ctx, problemId, job.signal) },
        },
      ],
      schedules: [{
        id: 'status-sync', every: ctx.config.syncEvery, timeout: '4m', scope: 'cluster',
        async run(job) { await pollOpenRequests(ctx, job) },
      }],
      eventTypes: [...requestEventTypes, ...problemEventTypes],
      // The discovery page's copy of the service: dropped in every process when an admin changes it.
      on: [{
        event: 'core.service.updated',
        async handle(p: { serviceName?: string }) { if (p.serviceName === 'overseerr') await serviceChanged(ctx) },
      }],
    }
  },
})
