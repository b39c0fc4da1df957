import fs from 'node:fs';
import { expect, it } from 'vitest';
import { README_PATH, renderReadme } from '../scripts/readme-tables.js';

it('keeps the README configuration, error and connector tables in sync with the code (npm run docs:tables)', () => {
  const readme = fs.readFileSync(README_PATH, 'utf8');
  expect(readme).toBe(renderReadme(readme));
});

it('starts with the two commands a newcomer needs', () => {
  const readme = fs.readFileSync(README_PATH, 'utf8');
  const firstBlock = readme.split('```')[1];
  expect(firstBlock).toContain('npm install && npm start');
  expect(firstBlock).toContain('npm test');
});
