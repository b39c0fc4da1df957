/**
 * Checks a connection's auth (its `authConfig` with its `credentials`) against the connector's auth
 * schema, and only against the method `authConfig.type` names: a bearer connection without a token
 * hears "/credentials/token is required", not one complaint per method the connector offers. Each
 * issue names the request field it is about: secrets under `/credentials`, settings under `/authConfig`.
 */
import type { Issue } from '../transform/index.js';
import { checkAgainstSchema } from './schema-check.js';

export interface AuthInput {
  authConfig: Record<string, unknown> | null | undefined;
  credentials: Record<string, unknown> | null | undefined;
}

interface ObjectSchema {
  properties?: Record<string, { const?: unknown; enum?: unknown[]; writeOnly?: boolean } | undefined>;
  oneOf?: unknown[];
  anyOf?: unknown[];
}

/** The auth as the connectors read it: settings and secrets in one object. */
function mergedAuth(input: AuthInput): Record<string, unknown> {
  // `_`-prefixed entries are kept by the platform itself (cached OAuth2 tokens): not the tenant's fields.
  const tenantFields = Object.entries(input.credentials ?? {}).filter(([field]) => !field.startsWith('_'));
  return { ...(input.authConfig ?? {}), ...Object.fromEntries(tenantFields) };
}

/** The method types a branch admits (`properties.type.const` or `.enum`). */
function typesOf(branch: ObjectSchema): unknown[] {
  const type = branch.properties?.type;
  if (!type) return [];
  if (type.const !== undefined) return [type.const];
  return Array.isArray(type.enum) ? type.enum : [];
}

function methodFor(schema: ObjectSchema, type: unknown): { method: ObjectSchema } | { issue: Issue } {
  const branches = (schema.oneOf ?? schema.anyOf) as ObjectSchema[] | undefined;
  if (!Array.isArray(branches)) return { method: schema };
  const method = branches.find((branch) => typesOf(branch).includes(type));
  if (method) return { method };
  const names = branches.flatMap(typesOf).map(String).join(', ');
  return {
    issue: {
      path: '/authConfig/type',
      message: type === undefined ? `is required: one of ${names}` : `must be one of ${names}`,
    },
  };
}

export function checkAuth(schema: object, input: AuthInput): Issue[] {
  const auth = mergedAuth(input);
  const found = methodFor(schema as ObjectSchema, auth.type);
  if ('issue' in found) return [found.issue];
  const { method } = found;
  const fromCredentials = new Set(Object.keys(input.credentials ?? {}));
  return checkAgainstSchema(method, auth, '').map((issue) => {
    const field = issue.path.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~');
    if (field === undefined || field === '') return { ...issue, path: '/authConfig' };
    const secret = fromCredentials.has(field) || method.properties?.[field]?.writeOnly === true;
    return { ...issue, path: `${secret ? '/credentials' : '/authConfig'}${issue.path}` };
  });
}
