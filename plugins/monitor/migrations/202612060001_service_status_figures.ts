import type { Knex } from 'medianest/plugin-api'
import { hourlyPointsMany, uptimes } from '../uptime.ts'

// The board's figures, kept on the status row by each check instead of summed from a
// month of rollups on every view: 24 h / 7 d / 30 d uptime (unrounded, as the pages
// floor them) and the last 24 hours' hourly points for the sparkline. Rows that exist
// already get theirs now, so the board does not go blank until their next check.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_status', (t) => {
    t.double('uptime_24h').nullable()
    t.double('uptime_7d').nullable()
    t.double('uptime_30d').nullable()
    t.jsonb('sparkline').nullable()
  })
  const rows: Array<{ service_name: string; last_check_at: Date }> = await knex('service_status').whereNotNull('last_check_at').select('service_name', 'last_check_at')
  for (const row of rows) {
    const at = new Date(row.last_check_at)
    const figures = (await uptimes(knex, [row.service_name], at)).get(row.service_name)
    const points = (await hourlyPointsMany(knex, [row.service_name], at)).get(row.service_name) ?? []
    await knex('service_status').where({ service_name: row.service_name }).update({
      uptime_24h: figures?.d1 ?? null, uptime_7d: figures?.d7 ?? null, uptime_30d: figures?.d30 ?? null,
      sparkline: JSON.stringify(points),
    })
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_status', (t) => {
    t.dropColumn('uptime_24h')
    t.dropColumn('uptime_7d')
    t.dropColumn('uptime_30d')
    t.dropColumn('sparkline')
  })
}
