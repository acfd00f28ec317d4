// What a logger wrote while some work ran (the test logger is quiet, so its level is
// raised for the duration and put back after).
import { Writable } from 'node:stream'
import winston from 'winston'

/** `work` sees the entries as they come, to wait on one. */
export async function logDuring(log: winston.Logger, level: string, work: (entries: Array<Record<string, unknown>>) => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const entries: Array<Record<string, unknown>> = []
  const stream = new Writable({ objectMode: true, write(info, _enc, done) { entries.push({ ...info }); done() } })
  const transport = new winston.transports.Stream({ stream, level })
  const previous = log.level
  log.add(transport)
  log.level = level
  try {
    await work(entries)
  } finally {
    log.remove(transport)
    log.level = previous
  }
  return entries
}
