// Load, migrate and start order: dependencies first. Cycles are reported whole.

export interface Node { name: string; dependsOn: string[] }

export type OrderResult = { order: string[]; cycles: string[][] }

/** Depth-first topological order, stable by the input order; every cycle found is returned as a path. */
export function dependencyOrder(nodes: Node[]): OrderResult {
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const state = new Map<string, 'visiting' | 'done'>()
  const order: string[] = []
  const cycles: string[][] = []
  const stack: string[] = []

  const visit = (name: string) => {
    const s = state.get(name)
    if (s === 'done') return
    if (s === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(name)), name])
      return
    }
    state.set(name, 'visiting')
    stack.push(name)
    for (const dep of byName.get(name)?.dependsOn ?? []) if (byName.has(dep)) visit(dep)
    stack.pop()
    state.set(name, 'done')
    order.push(name)
  }
  for (const node of nodes) visit(node.name)
  return { order, cycles }
}
