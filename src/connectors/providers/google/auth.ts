import type { JsonSchema } from '../../sdk.js';
import { GOOGLE_TOKEN_URL } from './api.js';

type MethodSchema = { properties: Record<string, JsonSchema>; required: string[] };

/** Google's token endpoint by default (configurable, e.g. for a fake); scopes for service accounts. */
export function googleAuth(method: JsonSchema, description: string, scopeHint: string): JsonSchema {
  const base = method as unknown as MethodSchema;
  return {
    ...method,
    description,
    properties: {
      ...base.properties,
      tokenUrl: { ...base.properties.tokenUrl, description: `Token endpoint (${GOOGLE_TOKEN_URL})` },
      scope: { type: 'string', description: `Space-separated scopes, e.g. ${scopeHint}` },
    },
  };
}
