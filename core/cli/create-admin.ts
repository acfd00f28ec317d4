// `medianest create-admin`: for an operator who lost access. Creates an admin with
// that email, or makes the existing user an active admin with the new password
// (signing out their sessions). Asks for whatever the flags leave out.
import type { Knex } from 'knex'
import { z } from 'zod'
import { hashPassword, passwordProblem } from '../auth/passwords.ts'
import type { PasswordOwner } from '../auth/password-strength.ts'
import { revokeOtherSessions } from '../auth/sessions.ts'
import { normalizeEmail, type UserRow } from '../auth/users.ts'
import { CORE_MIGRATIONS_DIR, migrationStatus } from '../migrations.ts'
import { CONFIG_OPTION, HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { cliLogger, describeDatabase, loadCliConfig, withDatabase } from './load.ts'
import { createPrompter, type Prompter } from './prompt.ts'
import type { CliIo } from './io.ts'

export const createAdminUsage = `Usage: medianest create-admin [--email <address>] [--password <password>] [--name <name>]

Creates an admin account with that email, or, when the email belongs to an existing
user, makes them an active admin with the new password and signs out their sessions.
No password change is required at the next sign-in.

Whatever the flags leave out is asked for: on a terminal (the password is not shown,
and asked twice), or read from stdin one line each, email first, then password:
  printf '%s\\n' "$ADMIN_PASSWORD" | medianest create-admin --email me@example.com
Prefer that over --password, which other users of the machine can see in the process list.

On the embedded database, stop the server first: it holds the data folder.

Options:
  --email <address>    the admin's email (sign-in name)
  --password <text>    at least 12 characters, hard to guess, not built from the
                       email or name (three or four unrelated words work well)
  --name <name>        the name shown in the portal (optional)
  --config <file>      the config file (default: $MEDIANEST_CONFIG, then ./medianest.config.json)
  -h, --help           this text`

interface AdminInput { email: string; password: string; name: string | null }

export async function createAdminCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('create-admin', args, {
    ...CONFIG_OPTION, ...HELP_OPTION,
    email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' },
  })
  if (values.help) {
    io.out(createAdminUsage)
    return 0
  }
  if (positionals.length) throw new UsageError(`create-admin: unexpected argument "${positionals[0]}" (use --email, --password, --name)`)
  // Flags are checked before anything is opened or asked.
  if (values.email !== undefined) checkEmail(values.email)
  const name = values.name !== undefined ? checkName(values.name) : undefined
  if (values.password !== undefined) await checkPassword(values.password, { email: values.email ?? '', name })

  const config = loadCliConfig(io, values.config)
  const log = cliLogger(io)
  return withDatabase(config, log, async (db) => {
    const core = await migrationStatus(db, { owner: 'core', dir: CORE_MIGRATIONS_DIR })
    if (core.pending.length) {
      throw new CliError(`${describeDatabase(config)} is not set up yet (${core.pending.length} core migrations pending); run "medianest migrate up" or start the server once, then try again`)
    }
    const input = await gather(io, values.email, values.password, name)
    const passwordHash = await hashPassword(input.password)
    const outcome = await saveAdmin(db.knex, input, passwordHash)
    if (outcome.created) {
      io.out(`Created the admin ${input.email}.`)
    } else {
      const was = [outcome.previous.role !== 'ADMIN' && 'promoted from USER', outcome.previous.status !== 'active' && 'reactivated (was suspended)']
        .filter(Boolean).join(', ')
      io.out(`${input.email} is an admin with the new password${was ? ` (${was})` : ''}; ${outcome.sessionsEnded} session${outcome.sessionsEnded === 1 ? '' : 's'} signed out.`)
    }
    io.out(`Sign in at ${config.publicUrl ?? `http://<this server>:${config.port}`}/login`)
    return 0
  })
}

async function gather(io: CliIo, email: string | undefined, password: string | undefined, name: string | null | undefined): Promise<AdminInput> {
  if (email !== undefined && password !== undefined) return { email: normalizeEmail(email), password, name: name ?? null }
  const prompter = createPrompter(io.stdin, io.stderr)
  try {
    const e = email ?? checkEmail(await prompter.ask('Email: ', 'email'))
    const n = name !== undefined || !prompter.interactive ? name ?? null : checkName(await prompter.ask('Name (optional): ', 'name'))
    const p = password ?? (await askPassword(prompter, { email: e, name: n }))
    // A password from the flag was checked before the email was asked for.
    if (password !== undefined && email === undefined) await checkPassword(p, { email: e, name: n })
    return { email: normalizeEmail(e), password: p, name: n }
  } finally {
    prompter.close()
  }
}

async function askPassword(prompter: Prompter, owner: PasswordOwner): Promise<string> {
  const password = await prompter.askSecret('Password (12+ characters, not shown): ', 'password')
  await checkPassword(password, owner)
  if (prompter.interactive && (await prompter.askSecret('The same password again: ', 'password confirmation')) !== password) {
    throw new CliError('the two passwords differ; nothing was changed')
  }
  return password
}

export function checkEmail(email: string): string {
  const normalized = normalizeEmail(email)
  if (!normalized) throw new CliError('an email address is required')
  // The rule of a browser's email field: an operator's sign-in name, not a mailbox check.
  if (normalized.length > 254 || !z.email({ pattern: z.regexes.html5Email }).safeParse(normalized).success) {
    throw new CliError(`"${email}" is not an email address (e.g. admin@example.com)`)
  }
  return normalized
}

export async function checkPassword(password: string, owner: PasswordOwner): Promise<void> {
  const problem = await passwordProblem(password, { ...owner, role: 'ADMIN' })
  if (problem) throw new CliError(`that password is not accepted for an admin: ${problem} Nothing was changed.`)
}

function checkName(name: string): string | null {
  const trimmed = name.trim()
  if (trimmed.length > 100) throw new CliError('the name is too long (at most 100 characters)')
  return trimmed || null
}

type Outcome =
  | { created: true }
  | { created: false; previous: Pick<UserRow, 'role' | 'status'>; sessionsEnded: number }

async function saveAdmin(db: Knex, input: AdminInput, passwordHash: string): Promise<Outcome> {
  return db.transaction(async (trx) => {
    const existing = await trx<UserRow>('users').where({ email: input.email }).forUpdate().first()
    if (!existing) {
      await trx('users').insert({
        email: input.email, name: input.name, role: 'ADMIN', status: 'active',
        password_hash: passwordHash, requires_password_change: false,
      })
      return { created: true }
    }
    await trx('users').where({ id: existing.id }).update({
      role: 'ADMIN', status: 'active', password_hash: passwordHash, requires_password_change: false,
      ...(input.name ? { name: input.name } : {}),
    })
    // A reset password signs out whoever still holds a session.
    const sessionsEnded = await revokeOtherSessions(trx, existing.id, null)
    return { created: false, previous: { role: existing.role, status: existing.status }, sessionsEnded }
  })
}
