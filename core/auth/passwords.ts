// Argon2id with OWASP's floor (19 MiB, 2 passes, 1 lane). Length rules only: 12+
// for admins, 8+ for users, up to 256; the most common passwords are refused.
import argon2 from 'argon2'
import { COMMON_PASSWORDS } from './common-passwords.ts'

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const
export const MAX_PASSWORD_LENGTH = 256

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

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, role: 'ADMIN' | 'USER'): string | null {
  const min = role === 'ADMIN' ? 12 : 8
  if (password.length < min) return `Use at least ${min} characters.`
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return 'That password is one of the most common ones; choose another.'
  return null
}
