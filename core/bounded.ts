// A promise given a time limit: the work, or an Error with `message` once limitMs passes.
// Used where the core waits on code it does not own (a plugin's start(), a health check).

export async function bounded<T>(work: Promise<T>, limitMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), limitMs) }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
