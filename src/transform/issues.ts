import { KryonixError } from '../platform/errors.js';
import type { Issue } from './types.js';

export type InvalidCode = 'KRX_EXPRESSION_INVALID' | 'KRX_SCHEMA_INVALID' | 'KRX_VALIDATION_FAILED';

/**
 * A save-time rejection: the detail names the first issue (after `context`, e.g. "Step 2 (map)"),
 * `errors` lists them all.
 */
export function invalid(
  code: InvalidCode,
  issues: Issue[],
  extensions: Record<string, unknown> = {},
  context?: string,
): KryonixError {
  const first = issues[0];
  const where = first?.path ? ` (at ${first.path})` : '';
  const detail = `${context ? `${context}: ` : ''}${first?.message ?? 'invalid'}${where}`;
  return new KryonixError(code, detail, { extensions: { ...extensions, errors: issues } });
}

/** Re-anchors the issue paths of a rejection under `prefix`; other errors pass through unchanged. */
export function underPath(
  error: unknown,
  prefix: string,
  extensions: Record<string, unknown> = {},
  context?: string,
): unknown {
  if (!(error instanceof KryonixError) || !Array.isArray(error.extensions.errors)) return error;
  const issues = (error.extensions.errors as Issue[]).map((issue) => ({
    path: `${prefix}${issue.path}`,
    message: issue.message,
  }));
  return invalid(error.code as InvalidCode, issues, { ...error.extensions, ...extensions }, context);
}

export function pointerSegment(key: string | number): string {
  return `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
