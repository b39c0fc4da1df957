import fs from 'node:fs';
import { expect, it } from 'vitest';
import { connectorTable } from './docs.js';

/** Cells trimmed and separator rows reduced, so a formatter's column padding does not matter. */
function normalise(table: string | undefined): string[][] {
  return (table ?? '')
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => (/^\s*-+\s*$/.test(cell) ? '---' : cell.trim())),
    );
}

it('keeps the connector table of src/connectors/README.md in sync with the definitions', () => {
  const readme = fs.readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const table = /<!-- connectors:start -->\n([\s\S]*?)\n<!-- connectors:end -->/.exec(readme)?.[1];
  // To update: npx tsx -e "import('./src/connectors/docs.ts').then(m => console.log(m.connectorTable()))"
  expect(normalise(table)).toEqual(normalise(connectorTable()));
});
