/** Writes docs/configuration.md from the variable table (`npm run docs`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigurationMarkdown } from '../../src/config/reference.js';

// Run from dist-test/scripts/docs/: the repository is three levels up.
const target = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, renderConfigurationMarkdown());
console.log(`wrote ${target}`);
