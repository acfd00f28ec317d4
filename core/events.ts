// Facts plugins announce ('overseerr.request.completed') and others react to. Each
// subscriber's reaction is a durable job, so it runs once per cluster even if this
// process dies: emit() writes one 'core.event-delivery' row per subscriber, in one
// INSERT, and the queue's NOTIFY lets whichever process is idle deliver it. Every
// process loads the same plugins, so the subscribers known here are everyone's.
// A subscription is one event or a pattern ('overseerr.*', '*'); the delivery row
// names the subscription, so a plugin with both gets each handler called once.
import crypto from 'node:crypto'
import type { Logger } from 'winston'
import { z } from 'zod'
import type { Database } from './db.ts'
import type { JobQueue } from './jobs/queue.ts'
import type { EmitOptions, EventHandler } from './plugin-api.ts'
import { clock } from './clock.ts'

export const EVENT_DELIVERY_JOB = 'core.event-delivery'
export const EVENT_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/
/** '*', or a prefix of one to three dotted words followed by '.*'. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){0,2}\.\*)$/

const deliverySchema = z.object({
  event: z.string(),
  owner: z.string(),
  /** The subscription the delivery is for; rows written before patterns existed lack it. */
  subscription: z.string().optional(),
  payload: z.record(z.string(), z.unknown()),
  emittedAt: z.string(),
  /** One per emit; rows written before ids existed lack it. */
  id: z.string().optional(),
})
export type EventDelivery = z.infer<typeof deliverySchema>

interface Subscriber {
  owner: string
  handle: EventHandler['handle']
  log: Logger
}

export class EventBus {
  private readonly log: Logger
  private readonly queue: JobQueue
  private readonly subscribers = new Map<string, Subscriber[]>()
  private installed = false

  constructor(options: { db: Database; log: Logger; queue: JobQueue }) {
    this.log = options.log
    this.queue = options.queue
  }

  /** `subscription` is an event name or a pattern ('overseerr.*', '*'). */
  on(subscription: string, owner: string, handler: EventHandler['handle'], log: Logger): void {
    if (!EVENT_PATTERN.test(subscription)) checkEventName(subscription)
    const list = this.subscribers.get(subscription) ?? []
    // The delivery job names its handler by subscription and owner, so one each.
    if (list.some((s) => s.owner === owner)) {
      throw new Error(`"${owner}" subscribes to "${subscription}" twice; handle it in one handler.`)
    }
    list.push({ owner, handle: handler, log })
    this.subscribers.set(subscription, list)
  }

  /** Every subscription as [subscription, owner]: for the boot-time check of undeclared events. */
  subscriptions(): Array<{ subscription: string; owner: string }> {
    return [...this.subscribers].flatMap(([subscription, list]) => list.map((s) => ({ subscription, owner: s.owner })))
  }

  /** Removes every subscription of one owner (a plugin that failed to start). */
  off(owner: string): void {
    for (const [event, list] of this.subscribers) this.subscribers.set(event, list.filter((s) => s.owner !== owner))
  }

  async emit(event: string, payload: Record<string, unknown>, options: EmitOptions = {}): Promise<void> {
    checkEventName(event)
    checkJson(payload, event)
    const emittedAt = clock.now().toISOString()
    const id = crypto.randomUUID()
    const deliveries: EventDelivery[] = []
    for (const [subscription, list] of this.subscribers) {
      if (!matches(subscription, event)) continue
      for (const s of list) deliveries.push({ event, payload, owner: s.owner, subscription, emittedAt, id })
    }
    if (!deliveries.length) return
    await this.queue.enqueueMany(EVENT_DELIVERY_JOB, deliveries, { trx: options.trx })
  }

  install(): void {
    if (this.installed) return
    this.installed = true
    this.queue.define(EVENT_DELIVERY_JOB, {
      name: 'event-delivery',
      timeout: '5m',
      concurrency: 4,
      payload: deliverySchema,
      run: (delivery: EventDelivery) => this.deliver(delivery),
    }, this.log)
  }

  private async deliver(delivery: EventDelivery): Promise<void> {
    const subscription = delivery.subscription ?? delivery.event
    const subscriber = this.subscribers.get(subscription)?.find((s) => s.owner === delivery.owner)
    if (!subscriber) {
      // The plugin was turned off (or changed its subscriptions) since the event was emitted.
      this.log.info(`event ${delivery.event}: "${delivery.owner}" no longer subscribes to it; delivery dropped`)
      return
    }
    // An older row without an id gets one derived from what it carries, the same on every retry.
    const id = delivery.id ?? crypto.createHash('sha256').update(`${delivery.event}\n${delivery.emittedAt}\n${JSON.stringify(delivery.payload)}`).digest('hex').slice(0, 32)
    await subscriber.handle(delivery.payload, { event: delivery.event, emittedAt: new Date(delivery.emittedAt), id })
  }
}

/** Whether a subscription (an event name or a pattern) covers an event. */
export function matches(subscription: string, event: string): boolean {
  if (subscription === event || subscription === '*') return true
  return subscription.endsWith('.*') && event.startsWith(subscription.slice(0, -1))
}

function checkEventName(event: string): void {
  if (!EVENT_NAME.test(event)) {
    throw new Error(`"${event}" is not an event name: use '<plugin>.<noun>.<past-verb>' in lower case, e.g. 'my-plugin.download.completed'.`)
  }
}

/**
 * The payload travels through the database as JSON: refuse what would not come back
 * the same (a Date becomes a string, a Map becomes {}, a function vanishes).
 */
function checkJson(payload: unknown, event: string): void {
  const seen = new Set<object>()
  const walk = (value: unknown, where: string, inObject: boolean): void => {
    const fail = (what: string) => {
      throw new TypeError(`The payload of event "${event}" cannot be sent: ${where} ${what}. Event payloads must be plain JSON (objects, arrays, strings, finite numbers, booleans, null).`)
    }
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail(`is ${value}`)
      return
    }
    if (value === undefined) {
      if (!inObject) fail('is undefined')
      return // an undefined property is simply absent on the other side
    }
    if (typeof value !== 'object') fail(`is a ${typeof value}`)
    const object = value as object
    if (seen.has(object)) fail('refers back to itself')
    seen.add(object)
    if (Array.isArray(object)) {
      object.forEach((item, i) => walk(item, `${where}[${i}]`, false))
    } else {
      const proto = Object.getPrototypeOf(object)
      if (proto !== Object.prototype && proto !== null) {
        fail(`is a ${object.constructor?.name ?? 'class instance'}${object instanceof Date ? ' (send date.toISOString())' : ''}`)
      }
      for (const [key, item] of Object.entries(object)) walk(item, `${where}.${key}`, true)
    }
    seen.delete(object)
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new TypeError(`The payload of event "${event}" must be an object.`)
  }
  walk(payload, 'payload', false)
}
