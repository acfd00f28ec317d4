// The certificate authorities trusted besides the system's: the PEM file named by caFile,
// read once when the plugin registers (an unreadable one stops it with the reason).
import fs from 'node:fs'
import type { MonitorContext } from './plugin-config.ts'

const read = new WeakMap<object, string[]>()

export function loadTrustedCas(ctx: MonitorContext): void {
  if (!ctx.config.caFile) {
    read.set(ctx.config, [])
    return
  }
  let pem: string
  try {
    pem = fs.readFileSync(ctx.config.caFile, 'utf8')
  } catch (error) {
    throw new Error(`plugins.monitor.config.caFile: ${ctx.config.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`)
  }
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  if (!certs.length) throw new Error(`plugins.monitor.config.caFile: ${ctx.config.caFile} holds no PEM certificate.`)
  read.set(ctx.config, certs)
}

export const trustedCas = (ctx: MonitorContext): string[] => read.get(ctx.config) ?? []
