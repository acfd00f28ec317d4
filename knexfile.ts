// For the stock knex CLI on the core's migrations and demo seed (plugins have their
// own tables: use `npx medianest migrate` and `npx medianest seed demo`, which know
// them). Run it through tsx:
//   NODE_OPTIONS="--import tsx" npx knex --knexfile knexfile.ts migrate:status
// Without DATABASE_URL it opens the embedded database in DATA_DIR (stop the server first).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'
import { PGlite } from '@electric-sql/pglite'
import { createPgConfig } from '@electric-sql/pglite/node-postgres'
import { loadConfig } from './core/config.ts'
import { CORE_MIGRATIONS_DIR } from './core/migrations.ts'

const config = loadConfig()

let pglite: PGlite | undefined
function embedded(): PGlite {
  const dir = path.resolve(config.dataDir)
  fs.mkdirSync(dir, { recursive: true })
  pglite ??= new PGlite(path.join(dir, 'pglite'))
  return pglite
}

const knexConfig: Knex.Config = {
  client: 'pg',
  connection: config.databaseUrl
    ?? ((() => createPgConfig(embedded())) as unknown as Knex.PgConnectionConfig),
  pool: config.databaseUrl ? { min: 0, max: 4 } : { min: 1, max: 1 },
  migrations: { directory: CORE_MIGRATIONS_DIR, tableName: 'knex_migrations', loadExtensions: ['.ts'] },
  seeds: { directory: fileURLToPath(new URL('./seeds', import.meta.url)), loadExtensions: ['.ts'] },
}

export default knexConfig
