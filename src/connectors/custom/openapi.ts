/**
 * OpenAPI 3.x → a custom connector definition: each operation becomes an action (name = operationId,
 * else a method+path slug), its input schema built from the path/query/header parameters and the
 * application/json request body, its output schema from the 200/201 JSON response. Local `$ref`s
 * under #/components are resolved (cycles cut off); remote refs are refused. The base URL default
 * comes from servers[0].url, auth methods from the security schemes.
 */
import { parse as parseYaml } from 'yaml';
import { KryonixError } from '../../platform/errors.js';
import type { JsonSchema } from '../sdk.js';
import { DEFAULT_CONFIG_SCHEMA, HTTP_METHODS } from './definition.js';

export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
export const MAX_OPERATIONS = 200;

export interface ImportRequest {
  id: string;
  displayName?: string;
  document: unknown;
  include?: string[];
}

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const invalid = (path: string, message: string) =>
  new KryonixError('KRX_VALIDATION_FAILED', `${path}: ${message}`, {
    extensions: { errors: [{ path, message }] },
  });

function parseDocument(document: unknown): Obj {
  let parsed = document;
  if (typeof document === 'string') {
    if (Buffer.byteLength(document) > MAX_DOCUMENT_BYTES)
      throw invalid('/body/document', `is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    try {
      parsed = parseYaml(document, { maxAliasCount: 100 });
    } catch (error) {
      throw invalid('/body/document', `is neither JSON nor YAML: ${(error as Error).message}`);
    }
  } else if (Buffer.byteLength(JSON.stringify(document) ?? '') > MAX_DOCUMENT_BYTES) {
    throw invalid('/body/document', `is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  if (!isObject(parsed)) throw invalid('/body/document', 'must be an OpenAPI object');
  if (typeof parsed.openapi !== 'string' || !/^3\./.test(parsed.openapi))
    throw invalid('/body/document/openapi', 'only OpenAPI 3.x documents can be imported');
  if (!isObject(parsed.paths)) throw invalid('/body/document/paths', 'must be an object');
  return parsed;
}

/** Resolves local refs (#/components/...) recursively; a ref met again on its own path becomes `{}`. */
function resolver(root: Obj) {
  const lookup = (ref: string, at: string): unknown => {
    if (!ref.startsWith('#/')) throw invalid(at, `remote reference ${ref} is not supported`);
    if (!ref.startsWith('#/components/')) throw invalid(at, `reference ${ref} must point under #/components`);
    let node: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      if (!isObject(node) || !(key in node)) throw invalid(at, `reference ${ref} does not resolve`);
      node = node[key];
    }
    return node;
  };
  let budget = 100_000;
  const resolve = (value: unknown, at: string, seen: readonly string[] = []): unknown => {
    if (--budget < 0) throw invalid('/body/document', 'has too many nested schema nodes');
    if (Array.isArray(value)) return value.map((item, i) => resolve(item, `${at}/${i}`, seen));
    if (!isObject(value)) return value;
    if (typeof value.$ref === 'string') {
      if (seen.includes(value.$ref)) return {};
      return resolve(lookup(value.$ref, at), at, [...seen, value.$ref]);
    }
    const out: Obj = {};
    for (const [key, member] of Object.entries(value)) {
      // OpenAPI-only keywords that are not JSON Schema.
      if (key === 'discriminator' || key === 'xml' || key === 'externalDocs' || key === 'example') continue;
      if (key === 'nullable') continue;
      out[key] = resolve(member, `${at}/${key}`, seen);
    }
    if (value.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
    return out;
  };
  return resolve;
}

function slug(method: string, path: string): string {
  const text = `${method.toLowerCase()}_${path}`
    .replace(/\{([^}]+)\}/g, 'by_$1')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(text) ? text : `op_${text}`;
}

const safeName = (name: string) => {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `op_${cleaned}`.slice(0, 100);
};

function jsonContent(content: unknown): Obj | undefined {
  if (!isObject(content)) return undefined;
  const key = Object.keys(content).find((type) => /^application\/([\w.+-]+\+)?json\b/i.test(type));
  return key && isObject(content[key]) ? (content[key] as Obj) : undefined;
}

function authOf(root: Obj, resolve: ReturnType<typeof resolver>): string[] {
  const schemes =
    isObject(root.components) && isObject(root.components.securitySchemes)
      ? root.components.securitySchemes
      : {};
  const methods: string[] = [];
  for (const [name, raw] of Object.entries(schemes)) {
    const scheme = resolve(raw, `/body/document/components/securitySchemes/${name}`) as Obj;
    let method: string | undefined;
    if (scheme.type === 'apiKey' && (scheme.in === 'header' || scheme.in === 'query')) method = 'api_key';
    else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') method = 'basic';
    else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') method = 'bearer';
    else if (scheme.type === 'oauth2' && isObject(scheme.flows) && scheme.flows.clientCredentials)
      method = 'oauth2_client_credentials';
    if (method && !methods.includes(method)) methods.push(method);
  }
  return methods.length > 0 ? methods : ['none'];
}

/** The custom connector definition (not yet validated: the caller saves it through validation). */
export function importOpenApi(request: ImportRequest): Record<string, unknown> {
  const root = parseDocument(request.document);
  const resolve = resolver(root);
  const info = isObject(root.info) ? root.info : {};
  const include = request.include ? new Set(request.include) : undefined;
  const actions: Obj[] = [];
  const names = new Set<string>();
  for (const [path, rawItem] of Object.entries(root.paths as Obj)) {
    const itemAt = `/body/document/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const item = resolve(rawItem, itemAt) as Obj;
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const operation = item[method.toLowerCase()];
      if (!isObject(operation)) continue;
      const operationId = typeof operation.operationId === 'string' ? operation.operationId : undefined;
      const name = safeName(operationId ?? slug(method, path));
      if (include && !include.has(operationId ?? name)) continue;
      if (names.has(name))
        throw invalid(`${itemAt}/${method.toLowerCase()}`, `operation name ${name} is used twice`);
      names.add(name);
      if (actions.length >= MAX_OPERATIONS)
        throw invalid(
          '/body/document/paths',
          `has more than ${MAX_OPERATIONS} operations; pick some with include`,
        );
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      const query: Record<string, string> = {};
      const headers: Record<string, string> = {};
      const parameters = [...shared, ...(Array.isArray(operation.parameters) ? operation.parameters : [])];
      for (const parameter of parameters as Obj[]) {
        if (!isObject(parameter) || typeof parameter.name !== 'string') continue;
        const where = parameter.in;
        if (where !== 'path' && where !== 'query' && where !== 'header') continue;
        const schema: Obj = isObject(parameter.schema) ? { ...parameter.schema } : { type: 'string' };
        if (typeof parameter.description === 'string') schema.description ??= parameter.description;
        properties[parameter.name] = schema;
        if (where === 'path' || parameter.required === true) required.push(parameter.name);
        const placeholder = `{{ $lookup($, ${JSON.stringify(parameter.name)}) }}`;
        if (where === 'query') query[parameter.name] = placeholder;
        if (where === 'header') headers[parameter.name] = placeholder;
      }
      let body: unknown;
      const requestBody = isObject(operation.requestBody)
        ? jsonContent(operation.requestBody.content)
        : undefined;
      if (requestBody) {
        properties.body = isObject(requestBody.schema) ? requestBody.schema : {};
        if ((operation.requestBody as Obj).required === true) required.push('body');
        body = '{{ body }}';
      }
      const responses = isObject(operation.responses) ? operation.responses : {};
      const success = jsonContent(
        (isObject(responses['200']) ? responses['200'] : isObject(responses['201']) ? responses['201'] : {})
          .content,
      );
      const output = success && isObject(success.schema) ? success.schema : undefined;
      const summary = [operation.summary, operation.description].find((text) => typeof text === 'string');
      actions.push({
        name,
        description: typeof summary === 'string' ? summary.slice(0, 5000) : `${method} ${path}`,
        method,
        path,
        input: {
          type: 'object',
          properties,
          ...(required.length > 0 ? { required: [...new Set(required)] } : {}),
        },
        ...(Object.keys(query).length > 0 ? { query } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(output ? { output } : {}),
        classification:
          method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
            ? 'read'
            : method === 'DELETE'
              ? 'destructive'
              : 'write',
        idempotent: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method),
      });
    }
  }
  if (actions.length === 0) throw invalid('/body/document/paths', 'has no operations to import');
  const servers = Array.isArray(root.servers) ? root.servers : [];
  const server = isObject(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url : undefined;
  const baseUrl = (DEFAULT_CONFIG_SCHEMA.properties as Obj).baseUrl as Obj;
  const config =
    server && /^https?:\/\//.test(server)
      ? {
          ...DEFAULT_CONFIG_SCHEMA,
          properties: {
            ...(DEFAULT_CONFIG_SCHEMA.properties as Obj),
            baseUrl: { ...baseUrl, default: server },
          },
        }
      : DEFAULT_CONFIG_SCHEMA;
  return {
    id: request.id,
    displayName:
      request.displayName ?? (typeof info.title === 'string' ? info.title.slice(0, 255) : request.id),
    description: typeof info.description === 'string' ? info.description.slice(0, 5000) : '',
    category: 'custom',
    version:
      typeof info.version === 'string' && /^\d+(\.\d+){0,2}$/.test(info.version) ? info.version : '1.0.0',
    config,
    auth: authOf(root, resolve),
    actions,
  };
}
