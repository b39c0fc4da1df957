/**
 * Checks connector input (connection config, auth, action input) against its JSON Schema with the
 * transform module's validator (compiled once and cached), answering issues under `prefix`.
 */
import { type Issue, validateAgainstSchema } from '../transform/index.js';

export function checkAgainstSchema(schema: object, value: unknown, prefix: string): Issue[] {
  return validateAgainstSchema(schema, value).errors.map((issue) => ({
    ...issue,
    path: `${prefix}${issue.path}`,
  }));
}
