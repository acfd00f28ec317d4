// The message "Send test" posts: marked test: true, so a receiver can tell it apart.
import crypto from 'node:crypto'
import type { OutboundMessage } from './outbound-requests.ts'

export function testMessage(now: Date): OutboundMessage {
  return {
    id: crypto.randomUUID(), type: 'notifications.test.sent', title: 'MediaNest test notification',
    message: 'If you can read this, notifications reach this channel.', link: null, createdAt: now.toISOString(), test: true,
  }
}
