import { expect } from 'chai'
import { initialAdminPasswordProblem, passwordProblem } from '../../core/auth/passwords.ts'

const admin = { role: 'ADMIN' as const, email: 'ada.owner@example.com', name: 'Ada Lovelace' }
const user = { ...admin, role: 'USER' as const }

describe('password policy: new passwords', function () {
  // The first check loads zxcvbn's dictionaries.
  this.timeout(20_000)

  it('refuses for an admin what the old 148-word list let through, and says why', async () => {
    const cases: Array<[string, string]> = [
      ['aaaaaaaaaaaa', 'Repeated characters like "aaa" are easy to guess.'],
      ['123456789012', 'This is a commonly used password.'],
      ['Password123!', 'similar to a commonly used password'],
      ['Welcome12345', 'similar to a commonly used password'],
      ['password1234', 'similar to a commonly used password'],
    ]
    for (const [password, why] of cases) {
      const problem = await passwordProblem(password, admin)
      expect(problem, password).to.be.a('string')
      expect(problem, password).to.match(/^Too easy to guess for an admin account\. /).and.include(why)
      // Every refusal says what to do instead.
      expect(problem, password).to.match(/Add|Avoid|Capitalize|Use/)
    }
  })

  it('refuses the account\'s own email, and its part before the @ with digits added', async () => {
    for (const password of ['ada.owner@example.com', 'Ada.Owner@Example.com', 'adaowner12345', 'ada.owner2024!']) {
      expect(await passwordProblem(password, admin), password).to.equal(
        'Your password contains your email address (the part before the @), which anyone who knows you can guess. Choose something else; three or four unrelated words work well.')
    }
    // Users too: a short local part is left to the estimator, which still sees the email.
    expect(await passwordProblem('owner2024', { ...user, email: 'owner@example.com' })).to.include('your email address')
    expect(await passwordProblem('bob@example.com', { ...user, email: 'bob@example.com' })).to.include('your email')
  })

  it('refuses a password built from the account\'s name, for admins and users', async () => {
    for (const password of ['Ada Lovelace2024!', 'AdaLovelace2024!', 'lovelace2024!!']) {
      expect(await passwordProblem(password, admin), password).to.equal(
        'Your password is mostly your name, which others can find out. Choose something else; three or four unrelated words work well.')
      expect(await passwordProblem(password, user), password).to.include('mostly your name')
    }
    expect(await passwordProblem('medianest2024!', admin)).to.include('mostly this site\'s name')
  })

  it('accepts a strong passphrase, also one that mentions the name among other words', async () => {
    for (const password of ['lantern oxbow quartz mellow', 'a brand new long passphrase', 'lovelace at the lighthouse']) {
      expect(await passwordProblem(password, admin), password).to.equal(null)
    }
  })

  it('asks users for less than admins, but not nothing', async () => {
    expect(await passwordProblem('elevenchars', user)).to.equal(null)
    expect(await passwordProblem('elevenchars', admin)).to.equal('Use at least 12 characters.')
    expect(await passwordProblem('password', user)).to.equal('Too easy to guess. This is a heavily used password. Add more words that are less common.')
    expect(await passwordProblem('short', user)).to.equal('Use at least 8 characters.')
    expect(await passwordProblem('x'.repeat(257), user)).to.equal('Use at most 256 characters.')
  })
})

describe('password policy: the first admin from the environment', function () {
  this.timeout(20_000)

  it('accepts a long first password that must be changed at first sign-in, even one an admin could not keep', async () => {
    expect(await initialAdminPasswordProblem('bootstrap password 1', 'boot@example.com')).to.equal(null)
    expect(await passwordProblem('bootstrap password 1', { role: 'ADMIN', email: 'boot@example.com' })).to.include('your email address')
  })

  it('still refuses the guessable ones an attacker would try before the owner signs in', async () => {
    for (const password of ['aaaaaaaaaaaa', 'password1234', 'administrator', 'boot@example.com']) {
      expect(await initialAdminPasswordProblem(password, 'boot@example.com'), password).to.match(/^Too easy to guess\. |^Your password is mostly your email/)
    }
    expect(await initialAdminPasswordProblem('short', 'boot@example.com')).to.equal('Use at least 12 characters.')
  })
})
