// What the commands share with the server: the same config loader, plugin host and
// database opener, with their expected failures turned into CliErrors.
import path from 'node:path'
import type { Logger } from 'winston'
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { DataDirLockedError, openDatabase, type Database } from '../db.ts'
import { createLogger } from '../log.ts'
import { PluginConfigError } from '../plugin-api.ts'
import { PluginHost } from '../plugins/host.ts'
import { CliError } from './cli-error.ts'
import { resolveFrom, type CliIo } from './io.ts'

export function loadCliConfig(io: CliIo, file?: string): Config {
  try {
    return fromCommandFolder(io, loadConfig({ file, env: io.env, cwd: io.cwd }))
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(`the configuration is invalid (${error.source}):`, 1, error.problems)
    }
    throw error
  }
}

/** The data folder as an absolute path, from the folder the command runs in (not the process's). */
export function fromCommandFolder(io: CliIo, config: Config): Config {
  return { ...config, dataDir: resolveFrom(io, config.dataDir) }
}

/** Warnings and errors only, on stderr: stdout stays the command's own output. */
export function cliLogger(io: CliIo): Logger {
  return createLogger('warn', undefined, false, io.stderr)
}

export async function preparePlugins(config: Config, log: Logger): Promise<PluginHost> {
  try {
    return await PluginHost.prepare(config, log)
  } catch (error) {
    if (error instanceof PluginConfigError) {
      throw new CliError('the plugin configuration has problems:', 1, error.problems)
    }
    throw error
  }
}

/** "PostgreSQL at db.example.com:5432/medianest" or "the embedded database in /srv/medianest/data". */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `the embedded database (PGlite) in ${path.resolve(config.dataDir)}`
  try {
    const url = new URL(config.databaseUrl)
    return `PostgreSQL at ${url.host}${url.pathname}`
  } catch {
    return 'PostgreSQL (DATABASE_URL)'
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', '28P01', '28000', '3D000'])

/** Opens the database, runs the work, and always closes it (PGlite's folder lock included). */
export async function withDatabase<T>(config: Config, log: Logger, work: (db: Database) => Promise<T>): Promise<T> {
  let db: Database
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log })
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      throw new CliError(`${error.message} Stop the server first, then run this command again.`)
    }
    const code = (error as { code?: string }).code
    if (config.databaseUrl && (code && CONNECTION_CODES.has(code) || /timeout acquiring a connection/i.test((error as Error).message))) {
      throw new CliError(`cannot connect to ${describeDatabase(config)}: ${(error as Error).message}. Check DATABASE_URL and that the server is running.`)
    }
    throw error
  }
  try {
    return await work(db)
  } finally {
    await db.close()
  }
}
