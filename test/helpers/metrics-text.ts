/** Reading Prometheus text exposition in tests. */

/** The value of one exact series line (name with its labels) in Prometheus text, or NaN when absent. */
export function series(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}
