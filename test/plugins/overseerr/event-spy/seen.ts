// What the event-spy plugin heard, in this process.
export const seen: Array<{ event: string; payload: Record<string, unknown>; described: { title: string; message: string; link?: string } | null }> = []
