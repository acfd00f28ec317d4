import type { Rule } from 'eslint'

export function pluginRootOf(file: string): string | null
export const importBoundaryRule: Rule.RuleModule
