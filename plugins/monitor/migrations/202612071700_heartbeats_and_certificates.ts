import type { Knex } from 'medianest/plugin-api'

// The heartbeat bar: the last 50 check results of each target, one letter each (u up,
// g degraded, p pending, d down), newest last, kept by each check so a view reads one
// short string instead of 50 rows per service. Certificates: what an HTTPS target last
// presented (expiry, issuer) and the smallest warning threshold already announced for it.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_status', (t) => {
    t.string('heartbeats', 50).notNullable().defaultTo('')
    t.timestamp('cert_expires_at', { useTz: true }).nullable()
    t.string('cert_issuer', 200).nullable()
    t.integer('cert_warned_days').nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_status', (t) => {
    t.dropColumn('cert_warned_days')
    t.dropColumn('cert_issuer')
    t.dropColumn('cert_expires_at')
    t.dropColumn('heartbeats')
  })
}
