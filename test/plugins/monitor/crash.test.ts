// Two MediaNest processes (the compiled server) on one PostgreSQL database; the one
// running the monitor's checks is killed with SIGKILL mid-round. Its claim on the
// `monitor.checks` schedule is a lease of seconds that it was renewing, so the other
// process takes the checks over within seconds (a claim as long as the round's timeout
// stalled them for 15 minutes), and a target that went down meanwhile gets its incident.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import pg from 'pg'
import { freshDatabase, onPostgres, type TestDatabase } from '../../support/test-db.ts'
import { waitFor } from '../../support/wait-for.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'
import { freePort } from '../../support/ports.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Server { child: ChildProcess; out: () => string; exited: Promise<void> }

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const { NODE_OPTIONS: _tsx, ...inherited } = process.env
  const child = spawn(process.execPath, ['build/core/server.js'], { cwd: root, env: { ...inherited, PORT: String(await freePort()), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await Promise.race([
    waitFor('MediaNest to be ready', () => out.includes('MediaNest ready'), 60_000),
    exited.then(() => { throw new Error(`the server exited during start:\n${out}`) }),
  ])
  return { child, out: () => out, exited }
}

describe('monitor: the checks survive the crash of the process running them (PostgreSQL)', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let target: TargetServer
  let db: pg.Client
  const servers: Server[] = []
  let work: string

  before(async function () {
    if (!onPostgres) return this.skip()
    const built = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: root, encoding: 'utf8' })
    expect(built.status, built.stderr).to.equal(0)
    database = await freshDatabase()
    db = new pg.Client({ connectionString: database.databaseUrl })
    await db.connect()
    // Each check takes 2 s, so a round is still going when its process is killed.
    target = await startTargetServer({ kind: 'slow', ms: 2000 })
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-monitor-crash-'))
    const config = path.join(work, 'medianest.config.json')
    fs.writeFileSync(config, JSON.stringify({ plugins: { monitor: { enabled: true, config: { interval: '5s', timeout: '4s', failuresBeforeIncident: 2 } } } }))
    const env = { HOST: '127.0.0.1', DATABASE_URL: database.databaseUrl, MEDIANEST_CONFIG: config, DATA_DIR: work, MEDIANEST_SECRET: 'monitor-crash-secret-of-at-least-32-characters', LOG_LEVEL: 'info' }
    servers.push(await startServer(env), await startServer(env))
    await db.query(`insert into service_configs (service_name, service_url, enabled, config_data, sealed_fields, updated_at)
      values ('web', $1, true, '{}', '{}', now())`, [target.url])
  })
  after(async () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) { s.child.kill('SIGKILL'); await s.exited }
    await db?.end()
    await target?.close()
    await database?.drop()
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('another process runs the checks within seconds of a kill -9, and opens the incident for a target that went down meanwhile', async () => {
    // The holder, caught mid-round: its lease is live and a check is in flight.
    const holder = await waitFor('a round of checks in progress', async () => {
      const { rows } = await db.query(`select lease_owner from schedule_runs where id = 'monitor.checks' and lease_expires_at > now()`)
      const owner = rows[0]?.lease_owner as string | undefined
      return owner && target.hits > 0 && owner
    }, 30_000)
    const victim = servers.find((s) => s.child.pid === Number(holder.split('-')[0]))!
    expect(victim, `the lease holder ${holder} is one of ours`).to.not.equal(undefined)
    victim.child.kill('SIGKILL')
    await victim.exited
    const killedAt = Date.now()
    await target.down()

    // Checks resume in the survivor: a failing result recorded after the kill.
    await waitFor('a check recorded after the kill', async () => {
      const { rows } = await db.query(`select 1 from service_metrics where service_name = 'web' and metric_name = 'up' and metric_value = 0 limit 1`)
      return rows.length > 0
    }, 15_000)
    const { rows: [lease] } = await db.query(`select lease_owner from schedule_runs where id = 'monitor.checks'`)
    expect(lease.lease_owner === null || !lease.lease_owner.startsWith(`${victim.child.pid}-`), 'the dead process no longer holds the schedule').to.equal(true)
    expect(Date.now() - killedAt).to.be.below(15_000)

    // Two failures later, the incident the board and the inbox need.
    const incident = await waitFor('the incident', async () => {
      const { rows } = await db.query(`select incident_type from service_incidents where service_name = 'web' and status = 'open'`)
      return rows[0]
    }, 30_000)
    expect(incident.incident_type).to.equal('down')
  })
})
