// /admin/services: the upstream services MediaNest talks to (service_configs). Add,
// edit, delete, and test a connection through the plugin that owns the service type.
// A stored API key never leaves the server: the form says "set" or "not set".
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, Conflict, NotFound, type ServiceConfigRecord, type ServiceTestResult, type ServiceType } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, readerZone, viewerOf } from '../http/request-context.ts'
import { wantsFragment } from '../views.ts'
import { audit } from '../auth/audit.ts'
import type { AdminDeps } from './deps.ts'
import { checkboxField, textField, textFields } from './form-fields.ts'
import { serialParam } from './path-params.ts'
import { inZone } from './timestamps.ts'
import {
  createServiceConfig, deleteServiceConfig, findServiceConfigRow, findServiceListItem, listServiceConfigs,
  updateServiceConfig, type ServiceConfigInput, type ServiceListItem,
} from '../services/store.ts'
import { checkRecord, checkService, DEFAULT_CHECK_TIMEOUT_MS } from '../services/checks.ts'
import { SERVICE_NAME, SERVICE_NAME_RULE, serviceUrl } from '../services/url.ts'
import { kindOf, recordOf, typeForKind, type ServiceConfigRow } from '../services/configs.ts'
import { echoFields, fieldViews, inputName, readFields, type FieldValue } from '../services/fields.ts'
import { setFlash, takeFlash } from '../http/flash.ts'
import { ALREADY_SENT, claimSubmission, newFormToken, releaseSubmission } from '../http/one-time-forms.ts'
import { clock } from '../clock.ts'

const TEXT_FIELDS = ['service_name', 'service_name_other', 'service_url', 'api_key', 'config_data'] as const

const configData = z.string().max(20_000, 'Use at most 20000 characters.').transform((text, ctx) => {
  if (!text.trim()) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `This is not valid JSON (${(error as Error).message}).` })
    return z.NEVER
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'Write a JSON object, like {"libraryId": 1}, or leave it empty.' })
    return z.NEVER
  }
  return value as Record<string, unknown>
})

/**
 * `service_name` is the kind picked in the list ('' for "Other"), `service_name_other` the
 * name: empty for a kind's first service (it takes the kind's name), a name of its own for
 * a second one of a kind ("overseerr-4k"), and required for "Other". `kinds` are the
 * running types plus the stored row's own kind (its plugin may be off).
 */
function serviceForm(knownNames: Set<string>, kinds: Set<string>) {
  return z.object({
    service_name: z.string(),
    service_name_other: z.string().trim(),
    service_url: serviceUrl,
    api_key: z.string().trim().max(1000, 'Use at most 1000 characters.'),
    clear_key: z.boolean(),
    enabled: z.boolean(),
    config_data: configData,
  }).superRefine((v, ctx) => {
    if (v.service_name && !knownNames.has(v.service_name)) {
      ctx.addIssue({ code: 'custom', path: ['service_name'], message: 'Choose a service type from the list, or "Other" and type a name.' })
    } else if (!v.service_name && !v.service_name_other) {
      ctx.addIssue({ code: 'custom', path: ['service_name'], message: 'Choose a service type, or "Other" and type a name.' })
    }
    if (v.service_name_other && !SERVICE_NAME.test(v.service_name_other)) {
      ctx.addIssue({ code: 'custom', path: ['service_name_other'], message: SERVICE_NAME_RULE.charAt(0).toUpperCase() + SERVICE_NAME_RULE.slice(1) })
    }
    if (v.clear_key && v.api_key) {
      ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'Either type a new key or tick "clear the key", not both.' })
    }
  }).transform((v): ServiceConfigInput => ({
    serviceName: v.service_name_other || v.service_name,
    serviceType: kinds.has(v.service_name) ? v.service_name : null,
    serviceUrl: v.service_url,
    apiKey: v.clear_key ? { clear: true } : v.api_key ? { set: v.api_key } : { keep: true },
    enabled: v.enabled,
    configData: v.config_data,
  }))
}

interface FormValues {
  service_name: string
  service_name_other: string
  service_url: string
  enabled: boolean
  config_data: string
  /** The type's declared plain fields, as typed or stored. */
  fields: Record<string, FieldValue>
}

interface ServiceFormView {
  id: number | null
  /** The saved row's name: offered in the list even when no enabled plugin owns it. */
  storedName: string | null
  values: FormValues
  keySet: boolean
  /** The secret fields that hold a value (names only). */
  secretsSet: string[]
  error: string | null
  fields: Record<string, string>
  /** "Test" before saving: what the service answered to what was typed. */
  test?: ServiceTestResult | null
  /** Without JavaScript the tested form comes back without the typed key: say so. */
  retypeKey?: boolean
  /** A new form with no type asked for: the list starts at "Choose…". */
  chooseType?: boolean
}

/** What a type's validate() says of the typed values, keyed by input name; a validate that throws is a bug, not the admin's mistake. */
function typeProblems(type: (ServiceType & { plugin: string }) | undefined, values: Record<string, FieldValue>): Record<string, string> {
  if (!type?.validate) return {}
  const said = type.validate({ ...values }) ?? {}
  const declared = new Set((type.fields ?? []).map((f) => f.name))
  return Object.fromEntries(Object.entries(said)
    .filter(([field, message]) => declared.has(field) && typeof message === 'string' && message)
    .map(([field, message]) => [inputName(field), message.slice(0, 500)]))
}

/** "Test connection" waits what the docs say a check waits: the same 10 s as ctx.services.check. */
const TEST_TIMEOUT_MS = DEFAULT_CHECK_TIMEOUT_MS

const DONE: Record<string, string> = {
  created: 'Service added.',
  updated: 'Service saved.',
  'updated-key-cleared': 'Service saved. Its address now points to another server, so its stored API key and secret settings were cleared: edit the service and enter them again.',
  deleted: 'Service deleted.',
}

/** Stored plain values, for the declared fields' inputs. */
function scalarFields(data: Record<string, unknown> | null): Record<string, FieldValue> {
  return Object.fromEntries(Object.entries(data ?? {})
    .filter((e): e is [string, FieldValue] => e[1] === null || ['string', 'number', 'boolean'].includes(typeof e[1])))
}

function present(s: ServiceListItem, zone: string) {
  return {
    id: s.id,
    name: s.service_name,
    url: s.service_url,
    enabled: s.enabled,
    keySet: s.has_key,
    updatedAt: inZone(s.updated_at, zone),
    updatedBy: s.updated_by_email,
  }
}

export function serviceAdminRoutes(deps: AdminDeps): Router {
  const { db, views, host, secrets, emit } = deps
  const router = express.Router()

  const serviceTypes = (current?: string) => {
    // A fallback type tests "Other" services; it is not a kind of its own to pick.
    const types = host.serviceTypes().filter((t) => !t.fallback).map((t) => ({ name: t.name, label: `${t.label} (${t.plugin})` }))
    if (current && !types.some((t) => t.name === current)) types.push({ name: current, label: `${current} (no enabled plugin)` })
    return types
  }

  const renderList = async (req: Request, res: Response, extra: { testResult?: { id: number; result: unknown } } = {}) => {
    const services = await listServiceConfigs(db)
    await views.pageOrFragment(req, res, {
      page: 'admin/services', fragment: 'admin/services', title: 'Services',
      data: {
        services: services.map((s) => ({ ...present(s, readerZone(req, deps.siteTimeZone)), kind: kindLabel(s) })),
        notice: takeFlash(req, res, deps.cookies, 'admin:services', DONE),
        testResult: extra.testResult ?? null,
      },
    })
  }

  /** The type of a kind picked in the form; "Other" (or a kind whose plugin is off) is the fallback type's to test and describe. */
  const typeOf = (kind: string) => typeForKind(host.serviceTypes(), kind || null)
  const declaredFields = (kind: string) => typeOf(kind)?.fields ?? []
  /** What the form's list shows for a stored row: its kind, or its own name for "Other" (offered as "no enabled plugin"). */
  const kindLabel = (row: Pick<ServiceConfigRow, 'service_name' | 'service_type'>) => {
    const kind = kindOf(host.serviceTypes(), row)
    return kind === null ? 'Other' : host.serviceTypes().find((t) => t.name === kind && !t.fallback)?.label ?? `${kind} (no enabled plugin)`
  }
  const listValue = (row: Pick<ServiceConfigRow, 'service_name' | 'service_type'>) => kindOf(host.serviceTypes(), row) ?? row.service_name

  /** The selected type's fields, or the generic JSON box for "Other" and types without fields. */
  const typeFieldsView = (form: Pick<ServiceFormView, 'id' | 'values' | 'secretsSet'>) => {
    const declared = declaredFields(form.values.service_name)
    return {
      typeFields: fieldViews(declared, form.values.fields, new Set(form.secretsSet)),
      showJson: declared.length === 0,
      fieldsUrl: `/admin/services/${form.id ?? 'new'}/type-fields`,
    }
  }

  const renderForm = async (req: Request, res: Response, status: number, form: ServiceFormView) => {
    await views.pageOrFragment(req, res, {
      page: 'admin/service-form', fragment: 'admin/_service-form', title: form.id ? 'Edit a service' : 'Add a service', status,
      data: { form: { ...form, ...typeFieldsView(form), types: serviceTypes(form.storedName ?? undefined), once: newFormToken() } },
    })
  }

  const mustFind = async (id: number) => {
    const service = await findServiceListItem(db, id)
    if (!service) throw new NotFound('There is no such service.')
    return service
  }

  /** Echo of what was typed, for a form shown again: never the key. */
  const echo = (body: unknown): FormValues => {
    const v = textFields(body, TEXT_FIELDS)
    return {
      service_name: v.service_name.slice(0, 64),
      service_name_other: v.service_name_other.slice(0, 64),
      service_url: v.service_url.slice(0, 2000),
      enabled: checkboxField(body, 'enabled'),
      config_data: v.config_data.slice(0, 20_000),
      fields: echoFields(declaredFields(v.service_name), body),
    }
  }

  /** The core fields and the type's declared ones, every problem reported at once. */
  const parseForm = (body: unknown, stored?: ServiceListItem, storedSecrets: string[] = []): ServiceConfigInput => {
    const current = stored ? listValue(stored) : undefined
    const known = new Set(serviceTypes(current).map((t) => t.name))
    const kinds = new Set([...host.serviceTypes().filter((t) => !t.fallback).map((t) => t.name), ...(stored?.service_type ? [stored.service_type] : [])])
    const declared = declaredFields(textField(body, 'service_name'))
    const { input: fields, problems } = readFields(declared, body, new Set(storedSecrets))
    // The type's own rules, for values that passed the core's: each message beside its field.
    if (declared.length && !Object.keys(problems).length) Object.assign(problems, typeProblems(typeOf(textField(body, 'service_name')), fields.values))
    let parsed: ServiceConfigInput | null = null
    let refusal: BadInput | null = null
    try {
      parsed = parseInput(serviceForm(known, kinds), {
        ...textFields(body, TEXT_FIELDS),
        // The JSON box is not on the form when the type declares fields.
        ...(declared.length ? { config_data: '' } : {}),
        clear_key: checkboxField(body, 'clear_key'),
        enabled: checkboxField(body, 'enabled'),
      })
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      refusal = error
    }
    if (refusal || Object.keys(problems).length) {
      const all = { ...(refusal?.fields ?? {}), ...problems }
      throw new BadInput(refusal?.message ?? 'Please correct the fields marked below.', all)
    }
    if (!declared.length) return parsed!
    const required = new Set(declared.filter((f) => f.type === 'secret' && f.required).map((f) => f.name))
    return { ...parsed!, fields, fieldRequired: required }
  }

  /** "Show the fields for this type" (the form without JS): the same form again, for the chosen type, nothing saved. */
  const wantsFieldsOnly = (body: unknown) => checkboxField(body, 'show_fields')
  const wantsTest = (body: unknown) => checkboxField(body, 'test')

  /**
   * "Test" on the form: the service as typed (a key left empty is the stored one when
   * editing), tested by its plugin and shown beside the form. Nothing is saved.
   */
  const testDraft = async (req: Request, res: Response, form: Omit<ServiceFormView, 'error' | 'fields'>, stored: ServiceConfigRecord | null, storedItem?: ServiceListItem) => {
    let input: ServiceConfigInput
    try {
      input = parseForm(req.body, storedItem, form.secretsSet)
    } catch (error) {
      // The Test button's htmx target is the result region: a mistake re-renders the whole form.
      if (wantsFragment(req)) res.setHeader('HX-Retarget', '#admin-service-form').setHeader('HX-Reswap', 'outerHTML')
      return refused(req, res, error, form)
    }
    const kept = <T>(change: { keep: true } | { clear: true } | { set: string }, old: T | null) => ('set' in change ? change.set : 'keep' in change ? old : null)
    const secretsTyped = Object.fromEntries(Object.entries(input.fields?.secrets ?? {}).map(([name, change]) => [name, kept(change, stored?.fields[name] ?? null)]))
    const draft: ServiceConfigRecord = {
      id: stored?.id ?? 0, serviceName: input.serviceName, serviceType: input.serviceType, serviceUrl: input.serviceUrl,
      // A key stored for another address is not sent to this one.
      apiKey: kept(input.apiKey, stored && stored.serviceUrl === input.serviceUrl ? stored.apiKey : null),
      enabled: input.enabled, configData: input.configData,
      fields: { ...(input.fields?.values ?? {}), ...secretsTyped } as ServiceConfigRecord['fields'],
      updatedAt: clock.now(), updatedBy: viewerOf(req)!.id,
    }
    const test = await checkRecord(host.serviceTypes(), draft, { timeoutMs: TEST_TIMEOUT_MS })
    requestLog(req).info(`an unsaved ${input.serviceName} service was tested: ${test.ok ? 'ok' : 'failed'}`)
    if (wantsFragment(req)) {
      await views.pageOrFragment(req, res, { page: 'admin/service-form', fragment: 'admin/_service-form-test', data: { test, retype: false } })
      return
    }
    await renderForm(req, res, 200, { ...form, error: null, fields: {}, test, retypeKey: 'set' in input.apiKey })
  }

  /** Back to the list, which says once what happened (a flash: a reload does not repeat it). */
  const saved = (req: Request, res: Response, done: string, options: { replaceHistory?: boolean } = {}) => {
    const target = '/admin/services'
    setFlash(res, deps.cookies, 'admin:services', done)
    if (req.get('HX-Request') === 'true' && options.replaceHistory) {
      // The page this came from (a delete confirmation) is gone: replace its history entry
      // with the list, so Back does not lead to it.
      res.setHeader('HX-Location', JSON.stringify({ path: target, target: '#main', select: '#main', swap: 'outerHTML', replace: 'true' }))
      return res.status(204).end()
    }
    if (req.get('HX-Request') === 'true') {
      res.setHeader('HX-Redirect', target)
      return res.status(204).end()
    }
    res.redirect(303, target)
  }

  const refused = (req: Request, res: Response, error: unknown, form: Omit<ServiceFormView, 'error' | 'fields'>) => {
    if (error instanceof BadInput) return renderForm(req, res, 422, { ...form, error: 'The service was not saved. Please correct the fields below.', fields: error.fields })
    if (error instanceof Conflict) {
      const field = form.values.service_name_other ? 'service_name_other' : 'service_name'
      return renderForm(req, res, 409, { ...form, error: error.message, fields: { [field]: error.message } })
    }
    throw error
  }

  router.get('/services', async (req, res) => renderList(req, res))

  router.get('/services/new', async (req, res) => {
    // ?type= preselects a type (the no-JS way to see its fields from a link).
    const asked = textField(req.query, 'type')
    const offered = host.serviceTypes().filter((t) => !t.fallback)
    // No type is picked for the admin: the list starts at "Choose…", not at whichever plugin came first.
    const type = offered.some((t) => t.name === asked) ? asked : null
    await renderForm(req, res, 200, {
      id: null, storedName: null, keySet: false, secretsSet: [], error: null, fields: {}, chooseType: type === null,
      values: { service_name: type ?? '', service_name_other: '', service_url: '', enabled: true, config_data: '{}', fields: {} },
    })
  })

  // htmx: the select swaps in the chosen type's fields (the form works without it).
  const typeFieldsFragment = async (req: Request, res: Response, id: number | null) => {
    const service = id === null ? null : await mustFind(id)
    const name = textField(req.query, 'service_name')
    if (!wantsFragment(req)) {
      res.redirect(303, id === null ? `/admin/services/new?type=${encodeURIComponent(name)}` : `/admin/services/${id}`)
      return
    }
    const sameType = service !== null && listValue(service) === name
    const form = {
      id, secretsSet: sameType ? service!.secret_fields : [],
      values: { service_name: name, fields: sameType ? scalarFields(service!.config_data) : {} } as FormValues,
    }
    await views.pageOrFragment(req, res, {
      page: 'admin/service-form', fragment: 'admin/_service-type-fields',
      data: { form: { ...form, ...typeFieldsView(form), fields: {}, values: { ...form.values, config_data: '{}' } } },
    })
  }
  router.get('/services/new/type-fields', async (req, res) => typeFieldsFragment(req, res, null))
  router.get('/services/:id/type-fields', async (req, res) => typeFieldsFragment(req, res, serialParam(req, 'service')))

  router.post('/services', async (req, res) => {
    const adminId = viewerOf(req)!.id
    const form = { id: null, storedName: null, keySet: false, secretsSet: [], values: echo(req.body) }
    if (wantsFieldsOnly(req.body)) return renderForm(req, res, 200, { ...form, error: null, fields: {} })
    if (wantsTest(req.body)) return testDraft(req, res, form, null)
    let input: ServiceConfigInput
    try {
      input = parseForm(req.body)
    } catch (error) {
      return refused(req, res, error, form)
    }
    if (await claimSubmission(db, adminId, 'admin:services', req.body) === 'repeat') {
      return renderForm(req, res, 409, { ...form, error: `${ALREADY_SENT} The service is in the list of services.`, fields: {} })
    }
    let id: number
    try {
      id = await createServiceConfig(db, secrets, emit, input, adminId)
    } catch (error) {
      await releaseSubmission(db, adminId, 'admin:services', req.body)
      return refused(req, res, error, form)
    }
    audit(requestLog(req), 'admin added a service', { by: viewerOf(req)!.id, service: id, fields: 'service_name,service_url,api_key,enabled,config_data' })
    saved(req, res, 'created')
  })

  router.get('/services/:id', async (req, res) => {
    const service = await mustFind(serialParam(req, 'service'))
    await renderForm(req, res, 200, {
      id: service.id, storedName: listValue(service), keySet: service.has_key, secretsSet: service.secret_fields, error: null, fields: {},
      values: {
        service_name: listValue(service),
        // A service named after its kind shows an empty name: it is the kind's first.
        service_name_other: service.service_name === listValue(service) ? '' : service.service_name,
        service_url: service.service_url,
        enabled: service.enabled,
        config_data: JSON.stringify(service.config_data ?? {}, null, 2),
        fields: scalarFields(service.config_data),
      },
    })
  })

  router.post('/services/:id', async (req, res) => {
    const service = await mustFind(serialParam(req, 'service'))
    const shown = { id: service.id, storedName: listValue(service), keySet: service.has_key, secretsSet: service.secret_fields, values: echo(req.body) }
    if (wantsFieldsOnly(req.body)) return renderForm(req, res, 200, { ...shown, error: null, fields: {} })
    if (wantsTest(req.body)) {
      const row = await findServiceConfigRow(db, service.id)
      return testDraft(req, res, shown, row ? recordOf(host.serviceTypes(), row, secrets) : null, service)
    }
    let result: { changedFields: string[]; keyCleared: boolean }
    try {
      result = await updateServiceConfig(db, secrets, emit, service.id, parseForm(req.body, service, service.secret_fields), viewerOf(req)!.id)
    } catch (error) {
      return refused(req, res, error, shown)
    }
    if (result.changedFields.length) {
      audit(requestLog(req), 'admin changed a service', { by: viewerOf(req)!.id, service: service.id, fields: result.changedFields.join(',') })
    }
    saved(req, res, result.keyCleared ? 'updated-key-cleared' : 'updated')
  })

  router.get('/services/:id/delete', async (req, res) => {
    const service = await findServiceListItem(db, serialParam(req, 'service'))
    // Back after a delete lands here: say what happened rather than "not found".
    if (!service) {
      return views.pageOrFragment(req, res, {
        page: 'admin/service-gone', fragment: 'admin/service-gone', title: 'Already deleted', status: 410, data: {},
      })
    }
    await views.pageOrFragment(req, res, {
      page: 'admin/service-delete', fragment: 'admin/service-delete', title: 'Delete a service',
      data: { service: present(service, readerZone(req, deps.siteTimeZone)) },
    })
  })

  router.post('/services/:id/delete', async (req, res) => {
    const id = serialParam(req, 'service')
    if (!(await deleteServiceConfig(db, emit, id, viewerOf(req)!.id))) throw new NotFound('There is no such service (it may have been deleted already).')
    audit(requestLog(req), 'admin deleted a service', { by: viewerOf(req)!.id, service: id })
    saved(req, res, 'deleted', { replaceHistory: true })
  })

  // A shared secret (ServiceField.shared) shown again to an admin who asks: POST, so no
  // link, prefetch or cache shows it; logged, so who saw it is on record. Any other
  // field, an unset one or a stored value that does not open is a 404 that says nothing.
  router.post('/services/:id/secrets/:field', async (req, res) => {
    const row = await findServiceConfigRow(db, serialParam(req, 'service'))
    const field = String(req.params.field)
    const declared = row ? typeForKind(host.serviceTypes(), kindOf(host.serviceTypes(), row))?.fields?.find((f) => f.name === field) : undefined
    const sealed = declared?.type === 'secret' && declared.shared === true ? row!.sealed_fields?.[field] : undefined
    if (!row || !declared || !sealed) throw new NotFound('This service has no such setting to show.')
    const value = recordOf(host.serviceTypes(), row, secrets).fields[field]
    if (typeof value !== 'string') throw new NotFound('This service has no such setting to show.')
    audit(requestLog(req), 'admin showed a shared secret', { by: viewerOf(req)!.id, service: row.id, field })
    res.setHeader('Cache-Control', 'no-store')
    await views.pageOrFragment(req, res, {
      page: 'admin/secret-shown', fragment: 'admin/_secret-shown', title: declared.label,
      data: { id: row.id, service: row.service_name, field, label: declared.label, value },
    })
  })

  router.post('/services/:id/test', async (req, res) => {
    const row = await findServiceConfigRow(db, serialParam(req, 'service'))
    if (!row) throw new NotFound('There is no such service.')
    const result = await checkService(host.serviceTypes(), row, secrets, { timeoutMs: TEST_TIMEOUT_MS })
    requestLog(req).info(`service ${row.id} (${row.service_name}) tested: ${result.ok ? 'ok' : 'failed'}`)
    if (wantsFragment(req)) {
      await views.pageOrFragment(req, res, { page: 'admin/services', fragment: 'admin/_service-test', data: { result } })
      return
    }
    await renderList(req, res, { testResult: { id: row.id, result } })
  })

  return router
}
