/** The package version, read from package.json beside the compiled code so `--version` never drifts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** packageVersion returns the version field of hradba's package.json. */
export function packageVersion(): string {
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
