// A port for a server a test starts as a child process, and restarts on the same port.
// Not from the kernel's ephemeral range (listen(0) picks one there): once the first server
// is gone, any outgoing connection of the three test files running at once may be given
// that port as its own, and the restart then fails with EADDRINUSE.
import net from 'node:net'

const LOW = 20_000
const HIGH = 32_000

const bindable = (port: number) => new Promise<boolean>((resolve) => {
  const server = net.createServer()
  server.once('error', () => resolve(false))
  server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
})

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW))
    if (await bindable(port)) return port
  }
  throw new Error(`no free port between ${LOW} and ${HIGH}`)
}

/** listen(port) on a port from freePort(), trying another if one was taken in between. */
export async function listenOnFreePort<T>(listen: (port: number) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await listen(await freePort())
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= 5) throw error
    }
  }
}
