// A fresh, empty database for one test file (or one test): PGlite in memory, or a
// new database on the PostgreSQL server named by TEST_DATABASE_URL.
import crypto from 'node:crypto'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL)

export interface TestDatabase {
  /** Set on PostgreSQL: the URL of this test's own database. */
  databaseUrl?: string
  /** Set on PGlite: an open in-memory instance (closed by the database that adopts it). */
  pglite?: PGlite
  /** Drops the database (PostgreSQL); PGlite instances are closed by their owner. */
  drop(): Promise<void>
}

let emptyCluster: Promise<Blob | File> | null = null

/** Creating a PGlite cluster takes seconds; loading a dump of an empty one, a fraction. */
async function emptyClusterDump(): Promise<Blob | File> {
  emptyCluster ??= (async () => {
    const seed = new PGlite('memory://')
    await seed.waitReady
    const dump = await seed.dumpDataDir('none')
    await seed.close()
    return dump
  })()
  return emptyCluster
}

export async function freshDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) {
    const pglite = new PGlite('memory://', { loadDataDir: await emptyClusterDump() })
    await pglite.waitReady
    return { pglite, async drop() {} }
  }
  const name = `mn_t_${crypto.randomBytes(6).toString('hex')}`
  await adminQuery(serverUrl, `create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    databaseUrl: url.toString(),
    async drop() {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)
    },
  }
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
