// The fields a service type declares (ServiceType.fields), on the admin's service form:
// read and checked from the form body, and turned into what the template shows. Plain
// values go to config_data; secret ones are changes (set, clear, keep), sealed by
// store.ts and never shown again: the form says "set" or "not set".
import crypto from 'node:crypto'
import type { ServiceField } from '../plugin-api.ts'
import { checkboxField, textField } from '../admin/form-fields.ts'

/** What a save does with a stored secret: keep it, clear it, or set a new one. */
export type ApiKeyChange = { keep: true } | { clear: true } | { set: string }

export type FieldValue = string | number | boolean | null

export interface FieldInput {
  values: Record<string, FieldValue>
  secrets: Record<string, ApiKeyChange>
}

/** What one declared field looks like on the form. */
export interface FieldView {
  name: string
  input: string
  label: string
  type: ServiceField['type']
  required: boolean
  help: string | null
  /** Text shown in a plain input (never a secret). */
  value: string
  checked: boolean
  /** Secrets only: whether one is stored. */
  isSet: boolean
  /** A secret both ends hold (ServiceField.shared): it can be generated here and shown again. */
  shared: boolean
}

export const inputName = (field: string) => `field_${field}`
export const clearName = (field: string) => `field_${field}_clear`
export const generateName = (field: string) => `field_${field}_generate`
/** 32 random bytes: as strong as a secret needs to be, and safe in a header or a URL. */
const generatedSecret = () => crypto.randomBytes(32).toString('base64url')
const MAX_TEXT = 2000

/**
 * Reads the declared fields from a form body. `storedSecrets` are the secret fields
 * the row already holds (a required secret left empty keeps it). Returns the values
 * and the per-field problems, keyed by input name so the form shows each beside its field.
 */
export function readFields(declared: ServiceField[], body: unknown, storedSecrets: Set<string>): { input: FieldInput; problems: Record<string, string> } {
  const input: FieldInput = { values: {}, secrets: {} }
  const problems: Record<string, string> = {}
  for (const f of declared) {
    const name = inputName(f.name)
    if (f.type === 'checkbox') {
      input.values[f.name] = checkboxField(body, name)
      continue
    }
    const text = textField(body, name).trim()
    if (text.length > MAX_TEXT) {
      problems[name] = `Use at most ${MAX_TEXT} characters.`
      continue
    }
    if (f.type === 'secret') {
      const clear = checkboxField(body, clearName(f.name))
      const generate = f.shared === true && checkboxField(body, generateName(f.name))
      if ([clear, generate, Boolean(text)].filter(Boolean).length > 1) problems[name] = `Either type a new value${f.shared ? ', generate one' : ''} or tick "clear": only one.`
      else if (f.required && !text && !generate && (clear || !storedSecrets.has(f.name))) problems[name] = `${f.label} is required${f.shared ? ': type one, or tick "Generate"' : ''}.`
      input.secrets[f.name] = text ? { set: text } : generate ? { set: generatedSecret() } : clear ? { clear: true } : { keep: true }
      continue
    }
    if (!text) {
      if (f.required) problems[name] = `${f.label} is required.`
      input.values[f.name] = null
      continue
    }
    if (f.type === 'number') {
      const n = Number(text)
      if (!Number.isFinite(n)) problems[name] = `${f.label} must be a number, like 8080.`
      else input.values[f.name] = n
    } else if (f.type === 'url') {
      let url: URL | null = null
      try { url = new URL(text) } catch { /* refused below */ }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems[name] = `${f.label} must be an http:// or https:// address.`
      else if (url.username || url.password) problems[name] = `Do not put credentials in ${f.label}.`
      else input.values[f.name] = text
    } else {
      input.values[f.name] = text
    }
  }
  return { input, problems }
}

/** The fields as the form shows them: `values` are what was typed or stored; secrets only say set or not. */
export function fieldViews(declared: ServiceField[], values: Record<string, unknown>, storedSecrets: Set<string>): FieldView[] {
  return declared.map((f) => {
    const v = values[f.name]
    return {
      name: f.name,
      input: inputName(f.name),
      label: f.label,
      type: f.type,
      required: f.required === true,
      help: f.help ?? null,
      value: f.type === 'secret' || v === null || v === undefined || typeof v === 'object' ? '' : String(v),
      checked: f.type === 'checkbox' && (v === true || v === 'on' || v === '1'),
      isSet: f.type === 'secret' && storedSecrets.has(f.name),
      shared: f.type === 'secret' && f.shared === true,
    }
  })
}

/** The typed values of a form body, echoed back when it is shown again (never a secret). */
export function echoFields(declared: ServiceField[], body: unknown): Record<string, FieldValue> {
  return Object.fromEntries(declared.filter((f) => f.type !== 'secret').map((f) => [
    f.name, f.type === 'checkbox' ? checkboxField(body, inputName(f.name)) : textField(body, inputName(f.name)).slice(0, MAX_TEXT),
  ]))
}
