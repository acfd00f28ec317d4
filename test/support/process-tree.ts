// A process and everything it started, read from /proc (Linux): what a service
// manager sees in the service's cgroup. Used by the production-start test and by
// bench/startup.ts to count processes, name them and sum their memory.
import fs from 'node:fs'

export interface ProcessInfo { pid: number; ppid: number; name: string; command: string; rssKb: number }

function read(pid: number): ProcessInfo | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? ''
    if (field('State').startsWith('Z')) return null // exited, not yet reaped: holds no memory
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    return { pid, ppid: Number(field('PPid')), name: field('Name'), command, rssKb: parseInt(field('VmRSS'), 10) || 0 }
  } catch {
    return null // gone meanwhile
  }
}

/** The process and all its descendants, parents first; empty once they are all gone. */
export function processTree(rootPid: number): ProcessInfo[] {
  const all: ProcessInfo[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const info = read(Number(entry))
    if (info) all.push(info)
  }
  const tree: ProcessInfo[] = []
  const wanted = new Set([rootPid])
  // /proc lists in pid order, and a child may have a lower pid than its parent after
  // wrap-around: repeat until nothing new joins.
  for (let grew = true; grew;) {
    grew = false
    for (const p of all) {
      if (!tree.includes(p) && (p.pid === rootPid || wanted.has(p.ppid))) {
        tree.push(p)
        wanted.add(p.pid)
        grew = true
      }
    }
  }
  return tree
}

export const treeRssKb = (tree: ProcessInfo[]) => tree.reduce((sum, p) => sum + p.rssKb, 0)
