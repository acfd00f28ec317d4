// Reading a body from a host we do not control: bounded in size however it is sent.
/**
 * The body, counted while it is read (a missing or lying Content-Length does not help),
 * given up past `maxBytes`. `failure` words the error each caller throws. The upstream client's
 * and fetchImage's: one reader of untrusted bodies in the core.
 */
export async function readCapped(response: Response, maxBytes: number, failure: (why: string, brokenOff: boolean) => Error): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    // With its status: an answer that is too large is not worth asking for again.
    throw failure(`answered with ${declared} bytes, more than the ${maxBytes} accepted`, false)
  }
  if (!response.body) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  let tooLarge: Error | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        tooLarge = failure(`answered with more than the ${maxBytes} bytes accepted`, false)
        await reader.cancel().catch(() => undefined)
        throw tooLarge
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error === tooLarge) throw error
    throw Object.assign(failure(`stopped answering mid-way (${(error as Error).message})`, true), { cause: error })
  }
  return Buffer.concat(chunks)
}
