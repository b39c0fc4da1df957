/**
 * A tenant's custom REST connector, declared as data: validated on save (schemas, templates and
 * mappings compile, path parameters exist in the input schema), stored in `connectors`, and turned
 * back into a runnable ConnectorDefinition by the generic executor.
 */

import { KryonixError } from '../../platform/errors.js';
import {
  compileMapping,
  compileSchema,
  compileTemplate,
  type Issue,
  type JsonValue,
  type Mapping,
} from '../../transform/index.js';
import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import type { ActionClassification, JsonSchema } from '../sdk.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const MAX_ACTIONS = 200;

export interface CustomActionSpec {
  name: string;
  description: string;
  method: (typeof HTTP_METHODS)[number];
  /** Path under the base URL with `{param}` placeholders filled from the input (encoded). */
  path: string;
  input: JsonSchema;
  /** Query parameter → template rendered against the input; empty results are left out. */
  query?: Record<string, JsonValue>;
  /** Header → template rendered against the input. */
  headers?: Record<string, JsonValue>;
  /** Body template rendered against the input. */
  body?: JsonValue;
  /** Applied to the response body: a JSONata expression or declarative fields. */
  responseMapping?: Mapping;
  output?: JsonSchema;
  classification: ActionClassification;
  idempotent: boolean;
}

export interface CustomConnectorSpec {
  id: string;
  displayName: string;
  description: string;
  category: string;
  version: string;
  config: JsonSchema;
  /** Auth method names: keys of AUTH_METHODS (`apiKey`) or their types (`api_key`). */
  auth: string[];
  actions: CustomActionSpec[];
  /** Action run (with `{}` as input) by the connection test; default: GET the base URL. */
  testAction?: string;
}

export const DEFAULT_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    baseUrl: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Base URL every action path is relative to',
    },
    defaultHeaders: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Headers sent with every call',
    },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-call timeout in ms' },
    retry: {
      type: 'object',
      description: 'Retry policy for idempotent actions',
      properties: {
        attempts: {
          type: 'integer',
          minimum: 0,
          maximum: 20,
          description: 'Retries after the first attempt',
        },
        delayMs: { type: 'integer', minimum: 0, description: 'Base backoff in ms' },
      },
      additionalProperties: false,
    },
  },
  required: ['baseUrl'],
  additionalProperties: false,
};

type AuthKey = keyof typeof AUTH_METHODS;

/** `apiKey` or `api_key` → the AUTH_METHODS key. */
export function authMethodKey(name: string): AuthKey | undefined {
  for (const [key, schema] of Object.entries(AUTH_METHODS) as [AuthKey, JsonSchema][]) {
    const type = (schema.properties as Record<string, { const?: string } | undefined>).type?.const;
    if (key === name || type === name) return key;
  }
  return undefined;
}

export function authTypeOf(key: AuthKey): string {
  return String((AUTH_METHODS[key].properties as Record<string, { const: string }>).type.const);
}

export function composeAuthSchema(names: string[]): JsonSchema {
  return authSchemaOf(...names.map((name) => AUTH_METHODS[authMethodKey(name) as AuthKey]));
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

export function pathParams(path: string): string[] {
  return [...path.matchAll(PLACEHOLDER)].map((match) => match[1].trim());
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const pointer = (...parts: Array<string | number>) =>
  parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

function issuesOf(error: unknown, prefix: string): Issue[] {
  if (error instanceof KryonixError && Array.isArray(error.extensions.errors))
    return (error.extensions.errors as Issue[]).map((issue) => ({
      path: `${prefix}${issue.path}`,
      message: issue.message,
    }));
  return [{ path: prefix, message: error instanceof Error ? error.message : String(error) }];
}

function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function isNewerVersion(next: string, current: string): boolean {
  return compareVersions(next, current) > 0;
}

/** 1.2.3 → 1.2.4 (a version without a numeric last part gets `.1` appended). */
export function bumpVersion(version: string): string {
  const match = /^(.*?)(\d+)$/.exec(version);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${version}.1`;
}

/**
 * Checks a whole definition; answers it normalized or throws KRX_VALIDATION_FAILED listing every
 * issue with its JSON pointer under `/body` (the first issue is named in the detail).
 */
export function validateCustomConnector(
  raw: unknown,
  builtInIds: readonly string[] = [],
): CustomConnectorSpec {
  const issues: Issue[] = [];
  const add = (path: string, message: string) => issues.push({ path: `/body${path}`, message });
  const check = (path: string, compile: () => unknown) => {
    try {
      compile();
    } catch (error) {
      for (const issue of issuesOf(error, path)) add(issue.path, issue.message);
    }
  };
  if (!isObject(raw)) throw fail([{ path: '/body', message: 'must be an object' }]);
  const body = raw;
  const str = (
    key: string,
    { required = true, max = 255, pattern }: { required?: boolean; max?: number; pattern?: RegExp } = {},
  ) => {
    const value = body[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || (required && value.length === 0))
      add(pointer(key), required ? 'must be a non-empty string' : 'must be a string');
    else if (value.length > max) add(pointer(key), `must be at most ${max} characters`);
    else if (pattern && !pattern.test(value)) add(pointer(key), `must match ${pattern.source}`);
    return typeof value === 'string' ? value : undefined;
  };
  const id = str('id', { max: 100, pattern: /^[a-z][a-z0-9_-]*$/ });
  if (id && builtInIds.includes(id)) add('/id', `"${id}" is a built-in connector's id`);
  const displayName = str('displayName');
  const description = str('description', { required: false, max: 5000 }) ?? '';
  const category = str('category', { required: false, max: 100 }) ?? 'custom';
  const version =
    str('version', { required: false, max: 50, pattern: /^\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$/ }) ??
    '1.0.0';

  let config = DEFAULT_CONFIG_SCHEMA;
  if (body.config !== undefined) {
    if (!isObject(body.config)) add('/config', 'must be a JSON Schema object');
    else {
      config = body.config;
      check('/config', () => compileSchema(config));
      const baseUrl = isObject(config.properties) ? config.properties.baseUrl : undefined;
      if (!isObject(baseUrl) || (baseUrl.type !== undefined && baseUrl.type !== 'string'))
        add('/config/properties/baseUrl', 'the config schema must declare a string baseUrl');
    }
  }

  const auth: string[] = [];
  if (body.auth === undefined) auth.push('none');
  else if (!Array.isArray(body.auth) || body.auth.length === 0)
    add('/auth', `must be a non-empty list of auth methods (${Object.keys(AUTH_METHODS).join(', ')})`);
  else
    body.auth.forEach((name, i) => {
      const key = typeof name === 'string' ? authMethodKey(name) : undefined;
      if (!key) add(`/auth/${i}`, `unknown auth method ${JSON.stringify(name)}`);
      else if (auth.includes(authTypeOf(key))) add(`/auth/${i}`, 'is listed twice');
      else auth.push(authTypeOf(key));
    });

  const actions: CustomActionSpec[] = [];
  if (!Array.isArray(body.actions) || body.actions.length === 0) add('/actions', 'must be a non-empty list');
  else if (body.actions.length > MAX_ACTIONS) add('/actions', `may hold at most ${MAX_ACTIONS} actions`);
  else {
    const names = new Set<string>();
    body.actions.forEach((item, i) => {
      const at = (...rest: Array<string | number>) => pointer('actions', i, ...rest);
      if (!isObject(item)) {
        add(at(), 'must be an object');
        return;
      }
      const name = item.name;
      if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/.test(name))
        add(at('name'), 'must be a name of letters, digits, _ . - (starting with a letter)');
      else if (names.has(name)) add(at('name'), `action "${name}" is declared twice`);
      else names.add(name);
      const method = typeof item.method === 'string' ? item.method.toUpperCase() : undefined;
      if (!method || !(HTTP_METHODS as readonly string[]).includes(method))
        add(at('method'), `must be one of ${HTTP_METHODS.join(', ')}`);
      const path = item.path;
      if (typeof path !== 'string' || path.length > 2000)
        add(at('path'), 'must be a path template (a string)');
      else if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//') || /[?#\\]/.test(path))
        add(at('path'), 'must be a path under the base URL, without a scheme, host, query or fragment');
      else if (path.split('/').some((segment) => segment === '..' || segment === '.'))
        add(at('path'), 'may not contain "." or ".." segments');
      let input: JsonSchema = { type: 'object', properties: {}, additionalProperties: true };
      if (item.input !== undefined) {
        if (!isObject(item.input)) add(at('input'), 'must be a JSON Schema object');
        else {
          input = item.input;
          check(at('input'), () => compileSchema(input));
        }
      }
      if (typeof path === 'string') {
        const properties = isObject(input.properties) ? input.properties : {};
        for (const param of pathParams(path)) {
          if (!(param in properties))
            add(at('path'), `path parameter {${param}} is not a property of the input schema`);
        }
      }
      const templateMap = (key: 'query' | 'headers') => {
        const value = item[key];
        if (value === undefined) return undefined;
        if (!isObject(value)) {
          add(at(key), 'must be an object of name → template');
          return undefined;
        }
        for (const [name, template] of Object.entries(value)) {
          if (key === 'headers' && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
            add(at(key, name), 'is not a valid header name');
          check(at(key, name), () => compileTemplate(template as JsonValue));
        }
        return value as Record<string, JsonValue>;
      };
      const query = templateMap('query');
      const headers = templateMap('headers');
      if (item.body !== undefined) check(at('body'), () => compileTemplate(item.body as JsonValue));
      let responseMapping: Mapping | undefined;
      if (item.responseMapping !== undefined) {
        const mapping = item.responseMapping;
        if (typeof mapping === 'string') responseMapping = { expression: mapping };
        else if (
          isObject(mapping) &&
          (typeof mapping.expression === 'string' || Array.isArray(mapping.fields))
        )
          responseMapping = mapping as Mapping;
        else add(at('responseMapping'), 'must be a JSONata expression or { expression } or { fields }');
        if (responseMapping) {
          const mapped = responseMapping;
          check(at('responseMapping'), () => compileMapping(mapped));
        }
      }
      let output: JsonSchema | undefined;
      if (item.output !== undefined) {
        if (!isObject(item.output)) add(at('output'), 'must be a JSON Schema object');
        else {
          output = item.output;
          check(at('output'), () => compileSchema(output));
        }
      }
      const classification =
        item.classification ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'write');
      if (!['read', 'write', 'destructive'].includes(classification as string))
        add(at('classification'), 'must be read, write or destructive');
      const idempotent =
        item.idempotent ?? ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method ?? '');
      if (typeof idempotent !== 'boolean') add(at('idempotent'), 'must be a boolean');
      if (
        item.description !== undefined &&
        (typeof item.description !== 'string' || item.description.length > 5000)
      )
        add(at('description'), 'must be a string of at most 5000 characters');
      const known = new Set([
        'name',
        'description',
        'method',
        'path',
        'input',
        'query',
        'headers',
        'body',
        'responseMapping',
        'output',
        'classification',
        'idempotent',
      ]);
      for (const key of Object.keys(item)) if (!known.has(key)) add(at(key), 'is not a known action field');
      actions.push({
        name: String(name),
        description: typeof item.description === 'string' ? item.description : `${method} ${String(path)}`,
        method: method as CustomActionSpec['method'],
        path: String(path),
        input,
        ...(query ? { query } : {}),
        ...(headers ? { headers } : {}),
        ...(item.body !== undefined ? { body: item.body as JsonValue } : {}),
        ...(responseMapping ? { responseMapping } : {}),
        ...(output ? { output } : {}),
        classification: classification as ActionClassification,
        idempotent: idempotent as boolean,
      });
    });
  }
  let testAction: string | undefined;
  if (body.testAction !== undefined && body.testAction !== null) {
    if (typeof body.testAction !== 'string' || !actions.some((action) => action.name === body.testAction))
      add('/testAction', 'must name one of the actions');
    else testAction = body.testAction;
  }
  const known = new Set([
    'id',
    'displayName',
    'description',
    'category',
    'version',
    'config',
    'auth',
    'actions',
    'testAction',
  ]);
  for (const key of Object.keys(body)) if (!known.has(key)) add(pointer(key), 'is not a known field');
  if (issues.length > 0) throw fail(issues);
  return {
    id: id as string,
    displayName: displayName as string,
    description,
    category,
    version,
    config,
    auth,
    actions,
    ...(testAction ? { testAction } : {}),
  };
}

function fail(issues: Issue[]): KryonixError {
  const first = issues[0];
  return new KryonixError('KRX_VALIDATION_FAILED', `${first.path}: ${first.message}`, {
    extensions: { errors: issues },
  });
}
