/**
 * The README's configuration, error and connector tables are generated from the code (CONFIG_KEYS,
 * ERROR_CODES, the built-in connector definitions) so they cannot drift: `npm run docs:tables` rewrites them, and a test fails when
 * the README differs from what this renders.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS } from '../src/config.js';
import { connectorTable } from '../src/connectors/docs.js';
import { ERROR_CODES } from '../src/platform/errors.js';

export const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));

const escapeCell = (text: string) => text.replaceAll('|', '\\|');

function configTable(): string {
  const rows = CONFIG_KEYS.map(
    (key) =>
      `| \`${key.name}\` | ${key.default ? `\`${escapeCell(key.default)}\`` : '—'} | ${escapeCell(key.description)} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function errorTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.class} | ${escapeCell(spec.title)} |`,
  );
  return ['| code | status | class | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

function replaceBlock(text: string, name: string, body: string): string {
  const pattern = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!pattern.test(text)) throw new Error(`README.md lacks the ${name} markers`);
  return text.replace(pattern, `$1${body}\n$2`);
}

export function renderReadme(text: string): string {
  const tables = { 'config-table': configTable(), 'error-table': errorTable(), connectors: connectorTable() };
  return Object.entries(tables).reduce((rendered, [name, body]) => replaceBlock(rendered, name, body), text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(README_PATH, renderReadme(fs.readFileSync(README_PATH, 'utf8')));
}
