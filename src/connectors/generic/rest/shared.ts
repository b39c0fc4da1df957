/** Input schema pieces shared by the REST actions. */
import type { JsonSchema } from '../../sdk.js';

export const pathField: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 2000,
  description: "Path relative to the connection's base URL (or an absolute URL on the same origin)",
};
export const queryField: JsonSchema = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean', 'array'] },
  description: 'Query parameters',
};
export const headersField: JsonSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description: 'Extra request headers',
};
export const responseSchema: JsonSchema = {
  type: 'object',
  properties: {
    status: { type: 'integer', description: 'Upstream HTTP status' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Upstream response headers',
    },
    data: { description: 'Upstream body: JSON when it is JSON, else text' },
  },
};

export interface RestInput {
  path: string;
  query?: Record<string, string | number | boolean | string[]>;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Response headers safe and useful to hand back (no cookies). */
export function visibleHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'set-cookie'));
}
