// Argon2id with OWASP's floor (19 MiB, 2 passes, 1 lane). A new password needs 12+
// characters for admins, 8+ for users, at most 256, no composition rules, and must be
// hard to guess: zxcvbn (see password-strength.ts) scores it 3+ of 4 for admins, 2+
// for users, and it is not built from the account's email or name.
import argon2 from 'argon2'
import { compact, describePersonal, emailLocalPart, passwordStrength, type PasswordOwner } from './password-strength.ts'

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
export const MAX_PASSWORD_LENGTH = 256
const MIN_LENGTH = { ADMIN: 12, USER: 8 } as const
/** zxcvbn's 3 is over 10⁸ guesses, 2 over 10⁶: the hash and the sign-in limits cover the rest. */
const MIN_SCORE = { ADMIN: 3, USER: 2 } as const

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS)
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

/** A hash of nothing anyone knows, verified when the email is unknown so both paths cost the same. */
let decoy: Promise<string> | null = null
export function decoyHash(): Promise<string> {
  decoy ??= argon2.hash(`decoy-${process.pid}-${Math.random()}`, OPTIONS)
  return decoy
}

export interface NewPasswordOwner extends PasswordOwner {
  role: 'ADMIN' | 'USER'
}

/** Why a new password is refused, or null when it is acceptable. */
export async function passwordProblem(password: string, owner: NewPasswordOwner): Promise<string | null> {
  const length = lengthProblem(password, MIN_LENGTH[owner.role])
  if (length) return length
  // Outright, whatever zxcvbn thinks of the rest: the email is the sign-in name.
  const local = compact(emailLocalPart(owner.email))
  if (local.length >= 4 && compact(password).includes(local)) {
    return 'Your password contains your email address (the part before the @), which anyone who knows you can guess. Choose something else; three or four unrelated words work well.'
  }
  return guessProblem(password, owner, MIN_SCORE[owner.role], owner.role === 'ADMIN')
}

/**
 * MEDIANEST_ADMIN_PASSWORD: the first admin's password from the environment, which
 * they must change at their first sign-in (to one passing passwordProblem). It gets
 * the admin length and the users' strength, so an unattended install's password keeps
 * working as before while the guessable ones an attacker tries first stay refused.
 */
export async function initialAdminPasswordProblem(password: string, email: string): Promise<string | null> {
  return lengthProblem(password, MIN_LENGTH.ADMIN) ?? guessProblem(password, { email }, MIN_SCORE.USER, false)
}

function lengthProblem(password: string, min: number): string | null {
  if (password.length < min) return `Use at least ${min} characters.`
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`
  return null
}

async function guessProblem(password: string, owner: PasswordOwner, minScore: number, forAdmin: boolean): Promise<string | null> {
  const strength = await passwordStrength(password, owner)
  if (strength.personalShare >= 0.5) {
    return `Your password is mostly ${describePersonal(strength.personalSources)}, which others can find out. Choose something else; three or four unrelated words work well.`
  }
  if (strength.score >= minScore) return null
  const advice = strength.suggestions.length ? strength.suggestions : ['Add another word or two that are less common.']
  return [forAdmin ? 'Too easy to guess for an admin account.' : 'Too easy to guess.', strength.warning, ...advice].filter(Boolean).join(' ')
}
