/**
 * Parsers for command-line option values. Commander runs them while parsing, before any command
 * touches the database, so a wrong value stops the command with one line naming the option.
 */
import { InvalidArgumentError } from 'commander';
import { ALL_ROLES, type Role } from '../config.js';

export function portNumber(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new InvalidArgumentError('expected a whole number from 0 to 65535.');
  return port;
}

export function processCount(raw: string): number {
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1.');
  return count;
}

export function roleList(raw: string): Role[] {
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.find((name) => !ALL_ROLES.includes(name as Role));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`unknown role "${unknown}" (known: ${ALL_ROLES.join(', ')}).`);
  if (names.length === 0) throw new InvalidArgumentError('at least one role is needed.');
  return names as Role[];
}

/** Tenant and key names: varchar(255) columns, 1 to 255 characters in the API's schemas too. */
const NAME_MAX_LENGTH = 255;

export function displayName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > NAME_MAX_LENGTH)
    throw new InvalidArgumentError(`expected 1 to ${NAME_MAX_LENGTH} characters.`);
  return name;
}
