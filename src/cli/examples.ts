/** The "Examples:" block a command's help ends with, as kubectl's and helm's do. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}\n`).join('')}`;
}
