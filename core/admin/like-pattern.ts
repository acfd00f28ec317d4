// A substring search for ILIKE in which `%`, `_` and `\` typed by a person match
// themselves instead of acting as wildcards.

export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
