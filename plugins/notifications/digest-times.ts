// When an email channel's summary is due. Times are read in the channel's own time zone
// with Luxon, so "daily at 07:30" stays 07:30 on the wall clock across a DST change (the
// UTC instant moves an hour), and an hourly summary follows the local hour (a zone half
// an hour off UTC gets its summary at :30 UTC).
import { DateTime } from 'luxon'
import { isTimeZone } from 'medianest/plugin-api'

export const DIGESTS = ['immediate', 'hourly', 'daily'] as const
export type Digest = typeof DIGESTS[number]
export const DIGEST_LABELS: Record<Digest, string> = { immediate: 'At once', hourly: 'Hourly summary', daily: 'Daily summary' }

export interface DigestSchedule {
  digest?: Digest
  /** 'HH:MM', daily only. */
  digestAt?: string
  /** IANA, e.g. 'Europe/Berlin'. */
  timeZone?: string
}

/** Why a time zone cannot be used, in words; null for '' (the caller's default) or a zone this runtime knows. */
export function timeZoneProblem(zone: string): string | null {
  const shown = zone.slice(0, 60)
  if (!zone || isTimeZone(zone)) return null
  return `"${shown}" is not a time zone this server knows; choose one from the list.`
}

function atDigestTime(day: DateTime, digestAt: string): DateTime {
  const [hour, minute] = digestAt.split(':').map(Number)
  // A time the spring change skips (02:30) becomes the first one after it (03:30).
  const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: day.zone })
  // A time the autumn change repeats is the first of the two, so the day's summary goes once.
  for (const back of [60, 30]) {
    const earlier = at.minus({ minutes: back })
    if (earlier.hour === hour && earlier.minute === minute) return earlier
  }
  return at
}

/**
 * The latest moment at or before `now` a summary of this schedule was due: the start of
 * the local hour (hourly), or today's chosen local time, else yesterday's (daily). A
 * channel is due when something it holds arrived before this moment.
 */
export function lastDigestSlot(schedule: DigestSchedule, now: Date): Date {
  const local = DateTime.fromJSDate(now, { zone: schedule.timeZone || 'UTC' })
  if (schedule.digest !== 'daily') return local.startOf('hour').toJSDate()
  const today = atDigestTime(local, schedule.digestAt ?? '08:00')
  return (today <= local ? today : atDigestTime(local.minus({ days: 1 }), schedule.digestAt ?? '08:00')).toJSDate()
}

/** The next moment after `now` a summary is due, for the page ("next summary at …"). */
export function nextDigestSlot(schedule: DigestSchedule, now: Date): Date {
  const local = DateTime.fromJSDate(now, { zone: schedule.timeZone || 'UTC' })
  if (schedule.digest !== 'daily') return local.startOf('hour').plus({ hours: 1 }).toJSDate()
  const today = atDigestTime(local, schedule.digestAt ?? '08:00')
  return (today > local ? today : atDigestTime(local.plus({ days: 1 }), schedule.digestAt ?? '08:00')).toJSDate()
}

/** "daily at 07:30 (Europe/Berlin)", for the channel list. */
export function describeDigest(schedule: DigestSchedule): string {
  if (schedule.digest === 'daily') return `a daily summary at ${schedule.digestAt ?? '08:00'} (${schedule.timeZone || 'UTC'})`
  if (schedule.digest === 'hourly') return `an hourly summary (${schedule.timeZone || 'UTC'} hours)`
  return 'each at once'
}
