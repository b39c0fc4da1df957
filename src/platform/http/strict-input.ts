/**
 * Strict input by default: a route that declares no query-string schema accepts no query members,
 * and a route that takes a body but declares no body schema accepts none or an empty object. An
 * unknown member is then a 400 problem naming it (`/querystring/foo`, `/body/bogus`) instead of being
 * ignored. Routes that hand their raw query and body on (the transparent proxy) opt out with
 * `config: { rawInput: true }`.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads the raw query string and body itself: no default schemas are added. */
    rawInput?: boolean;
  }
}

export const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

export const NO_BODY = {
  type: ['object', 'null'],
  description: 'No body, or an empty JSON object',
  properties: {},
  additionalProperties: false,
} as const;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function takesBody(method: RouteOptions['method']): boolean {
  return (Array.isArray(method) ? method : [method]).some((m) => BODY_METHODS.has(m.toUpperCase()));
}

/** Adds the defaults to every route registered in `scope` (and its children) from now on. */
export function installStrictInput(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    if ((route.config as { rawInput?: boolean } | undefined)?.rawInput) return;
    const schema = { ...route.schema };
    if (!schema.querystring) schema.querystring = NO_QUERY;
    if (!schema.body && takesBody(route.method)) schema.body = NO_BODY;
    route.schema = schema;
  });
}
