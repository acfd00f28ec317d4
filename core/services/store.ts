// The brief's service_configs as the admin edits them. API keys are sealed with the
// row's service name as associated data; they go in, never back out to a page: the
// list says only whether one is set. Renaming a service re-seals its key.
import type { Knex } from 'knex'
import { BadInput, Conflict, NotFound, type Secrets } from '../plugin-api.ts'
import { apiKeyAad, fieldAad, type ServiceConfigRow } from './configs.ts'
import type { ApiKeyChange, FieldInput } from './fields.ts'
import { serviceUpdated, type Emit } from '../lifecycle-events.ts'

export interface ServiceListItem {
  id: number
  service_name: string
  service_type: string | null
  service_url: string
  enabled: boolean
  has_key: boolean
  config_data: Record<string, unknown> | null
  /** The names of the secret fields that hold a value (never the values). */
  secret_fields: string[]
  updated_at: Date
  updated_by_email: string | null
}


export interface ServiceConfigInput {
  serviceName: string
  /** The kind ('overseerr'); null for "Other". */
  serviceType: string | null
  serviceUrl: string
  apiKey: ApiKeyChange
  enabled: boolean
  configData: Record<string, unknown>
  /** The service type's declared fields, when it declares any (configData is then theirs). */
  fields?: FieldInput
  /** The required secret fields: clearing one by moving the address is refused. */
  fieldRequired?: Set<string>
}

function selectListItems(db: Knex): Knex.QueryBuilder {
  return db('service_configs as s')
    .leftJoin('users as u', 'u.id', 's.updated_by')
    .select('s.id', 's.service_name', 's.service_type', 's.service_url', 's.enabled', 's.config_data', 's.updated_at', 'u.email as updated_by_email')
    .select(db.raw('(s.api_key is not null) as has_key'))
    .select('s.sealed_fields')
}

/** Only the names of the sealed fields leave this module, never the sealed values. */
function withSecretNames(item: ServiceListItem & { sealed_fields?: Record<string, string> | null }): ServiceListItem {
  const { sealed_fields: sealed, ...rest } = item
  return { ...rest, secret_fields: Object.keys(sealed ?? {}).sort() }
}

export async function listServiceConfigs(db: Knex): Promise<ServiceListItem[]> {
  return (await selectListItems(db).orderBy('s.service_name')).map(withSecretNames)
}

export async function findServiceListItem(db: Knex, id: number): Promise<ServiceListItem | undefined> {
  const item = await selectListItems(db).where('s.id', id).first()
  return item && withSecretNames(item)
}

/** The whole row, sealed key included: for testing a connection, never for a page. */
export async function findServiceConfigRow(db: Knex, id: number): Promise<ServiceConfigRow | undefined> {
  return db<ServiceConfigRow>('service_configs').where({ id }).first()
}

/** A row as a save writes it: the key and secret fields already sealed. */
function columns(
  trx: Knex.Transaction, input: ServiceConfigInput, apiKey: string | null, configData: Record<string, unknown>, sealed: Record<string, string>, actorId: string | null,
) {
  return {
    service_name: input.serviceName,
    service_type: input.serviceType,
    service_url: input.serviceUrl,
    api_key: apiKey,
    enabled: input.enabled,
    config_data: JSON.stringify(configData),
    sealed_fields: JSON.stringify(sealed),
    updated_at: trx.fn.now(),
    updated_by: actorId,
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505'
const alreadyConfigured = (name: string) => new Conflict(`A service named "${name}" is already configured. Edit that one instead.`)

export async function createServiceConfig(db: Knex, secrets: Secrets, emit: Emit, input: ServiceConfigInput, actorId: string | null): Promise<number> {
  const apiKey = 'set' in input.apiKey ? secrets.encrypt(input.apiKey.set, apiKeyAad(input.serviceName)) : null
  const sealed: Record<string, string> = {}
  for (const [field, change] of Object.entries(input.fields?.secrets ?? {})) {
    if ('set' in change) sealed[field] = secrets.encrypt(change.set, fieldAad(input.serviceName, field))
  }
  const configData = input.fields ? input.fields.values : input.configData
  try {
    return await db.transaction(async (trx) => {
      const [row] = await trx('service_configs').insert(columns(trx, input, apiKey, configData, sealed, actorId)).returning('id')
      const id = (row as { id: number }).id
      await serviceUpdated(emit, trx, { id, name: input.serviceName }, 'created', ['service_name', 'service_url', 'api_key', 'enabled', 'config_data'], actorId)
      return id
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyConfigured(input.serviceName)
    throw error
  }
}

/** Scheme, host and port: the party a key is sent to. A new path on the same server keeps the key. */
function sameParty(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return false
  }
}

export async function updateServiceConfig(
  db: Knex, secrets: Secrets, emit: Emit, id: number, input: ServiceConfigInput, actorId: string | null,
): Promise<{ changedFields: string[]; keyCleared: boolean }> {
  try {
    return await db.transaction(async (trx) => {
      const row = await trx<ServiceConfigRow>('service_configs').where({ id }).forUpdate().first()
      if (!row) throw new NotFound('There is no such service.')
      let apiKey = row.api_key
      // A key was given for one server: pointing the service elsewhere must not hand it
      // to the new host (a typo, or an admin session in the wrong hands). It is kept only
      // when it is typed again.
      const keyCleared = 'keep' in input.apiKey && row.api_key !== null && !sameParty(row.service_url, input.serviceUrl)
      if ('set' in input.apiKey) apiKey = secrets.encrypt(input.apiKey.set, apiKeyAad(input.serviceName))
      else if ('clear' in input.apiKey || keyCleared) apiKey = null
      else if (row.api_key && row.service_name !== input.serviceName) apiKey = reseal(secrets, row.api_key, row.service_name, input.serviceName)
      const fields = sealFields(secrets, row, input)
      // Declared fields own their keys in config_data; anything else stored there stays.
      const configData = input.fields ? { ...(row.config_data ?? {}), ...input.fields.values } : input.configData

      const changedFields = [
        row.service_name !== input.serviceName && 'service_name',
        (row.service_type ?? null) !== input.serviceType && 'service_type',
        row.service_url !== input.serviceUrl && 'service_url',
        (!('keep' in input.apiKey) || keyCleared) && 'api_key',
        row.enabled !== input.enabled && 'enabled',
        JSON.stringify(row.config_data ?? {}) !== JSON.stringify(configData) && 'config_data',
        ...fields.changed,
      ].filter((f): f is string => Boolean(f))
      await trx('service_configs').where({ id }).update(columns(trx, input, apiKey, configData, fields.sealed, actorId))
      if (changedFields.length) await serviceUpdated(emit, trx, { id, name: input.serviceName }, 'updated', changedFields, actorId)
      return { changedFields, keyCleared: keyCleared || fields.cleared }
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyConfigured(input.serviceName)
    throw error
  }
}

/**
 * The secret fields after an edit, like the API key: typed ones sealed anew, ticked ones
 * cleared, kept ones resealed under a new name and cleared when the address moves to
 * another server (a required one must then be typed again).
 */
function sealFields(secrets: Secrets, row: ServiceConfigRow, input: ServiceConfigInput): { sealed: Record<string, string>; changed: string[]; cleared: boolean } {
  const moved = !sameParty(row.service_url, input.serviceUrl)
  const sealed: Record<string, string> = {}
  const changed: string[] = []
  let cleared = false
  const stored = row.sealed_fields ?? {}
  const changes = input.fields?.secrets ?? Object.fromEntries(Object.keys(stored).map((k) => [k, { keep: true } as ApiKeyChange]))
  for (const [field, change] of Object.entries(changes)) {
    const aad = fieldAad(input.serviceName, field)
    if ('set' in change) {
      sealed[field] = secrets.encrypt(change.set, aad)
      changed.push(`field:${field}`)
    } else if ('clear' in change) {
      if (stored[field]) changed.push(`field:${field}`)
    } else if (stored[field] && moved) {
      cleared = true
      changed.push(`field:${field}`)
      if (input.fieldRequired?.has(field)) {
        const message = 'The address now points to another server: type this secret again.'
        throw new BadInput(message, { [`field_${field}`]: message })
      }
    } else if (stored[field]) {
      sealed[field] = row.service_name === input.serviceName ? stored[field] : resealField(secrets, stored[field], row.service_name, input.serviceName, field)
    }
  }
  for (const field of Object.keys(stored)) if (!(field in changes)) changed.push(`field:${field}`)
  return { sealed, changed, cleared }
}

function resealField(secrets: Secrets, sealed: string, fromName: string, toName: string, field: string): string {
  try {
    return secrets.encrypt(secrets.decrypt(sealed, fieldAad(fromName, field)), fieldAad(toName, field))
  } catch {
    const message = 'This stored secret could not be opened to move it to the new name. Type it again, or tick "clear".'
    throw new BadInput(message, { [`field_${field}`]: message })
  }
}

function reseal(secrets: Secrets, sealed: string, fromName: string, toName: string): string {
  let plaintext: string
  try {
    plaintext = secrets.decrypt(sealed, apiKeyAad(fromName))
  } catch {
    const message = 'The stored API key could not be opened to move it to the new name. Enter the key again, or tick "clear the key".'
    throw new BadInput(message, { api_key: message })
  }
  return secrets.encrypt(plaintext, apiKeyAad(toName))
}

export async function deleteServiceConfig(db: Knex, emit: Emit, id: number, actorId: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const [row]: Array<{ service_name: string }> = await trx('service_configs').where({ id }).del().returning('service_name')
    if (!row) return false
    await serviceUpdated(emit, trx, { id, name: row.service_name }, 'deleted', [], actorId)
    return true
  })
}
