/** Where the shipped default config lives, found relative to this module so it works installed, built or under test. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of config/hradba.yaml: two levels above dist/config/defaults.js (or src/config/defaults.ts under vitest). */
export const DEFAULT_CONFIG_FILE: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/hradba.yaml');
