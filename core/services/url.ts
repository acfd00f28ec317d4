// A service's address as the admin form and ctx.services.save both take it: http(s),
// with the words a person needs when it is not.
import { z } from 'zod'

export const serviceUrl = z.string().trim()
  .min(1, 'Enter the address of the service, like http://192.168.1.10:5055.')
  .max(2000, 'Use at most 2000 characters.')
  .superRefine((text, ctx) => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'That is not a web address. Write it like http://192.168.1.10:5055.' })
      return
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `Only http:// and https:// addresses are allowed, not ${url.protocol}//.` })
    } else if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'Put credentials in the API key field, not in the address.' })
    }
  })

/** A service's name: what ctx.services.get takes and the monitor's board keys on. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{1,63}$/
export const SERVICE_NAME_RULE = 'use 2 to 64 characters: lower-case letters, digits and dashes, starting with a letter.'
