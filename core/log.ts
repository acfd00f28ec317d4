// winston, one root logger; plugins and requests get children with labels.
// JSON lines in production, readable lines in development.
import winston from 'winston'

const SECRET_KEYS = /pass(word)?|secret|token|api[-_]?key|authorization|cookie/i

/** Replaces the values of fields whose names say they are secret. */
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key) && typeof info[key] === 'string') info[key] = '[redacted]'
  }
  return info
})

/** `stream`: where the lines go instead of the console (a CLI command run with its own output). */
export function createLogger(level: string, production = process.env.NODE_ENV === 'production', silent = false, stream?: NodeJS.WritableStream): winston.Logger {
  const readable = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, plugin, requestId, stack, ...rest } = info
    const where = [plugin, requestId].filter(Boolean).join(' ')
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''
    return `${timestamp} ${lvl}${where ? ` [${where}]` : ''} ${message}${extra}${stack && lvl.includes('error') ? `\n${stack}` : ''}`
  })
  return winston.createLogger({
    level,
    format: winston.format.combine(
      redact(),
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      production ? winston.format.json() : winston.format.combine(winston.format.colorize(), readable),
    ),
    transports: [stream
      ? new winston.transports.Stream({ stream, silent })
      : new winston.transports.Console({ stderrLevels: ['error', 'warn'], silent })],
  })
}
