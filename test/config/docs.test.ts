/** Keeps the README's configuration section in step with the schema: one table row per key. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/schema.js';

const docsFile = resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md');

describe('README.md configuration section', () => {
  it('documents every key the schema knows, and no other', async () => {
    const readme = await readFile(docsFile, 'utf8');
    const docs = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Development'));
    // Each key has a table row whose first cell is the key path in backticks.
    const rows = [...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect([...rows].sort()).toEqual([...CONFIG_KEYS].sort());
  });
});
