/**
 * The generic action executor of custom connectors: each declared action becomes an
 * ActionDefinition that builds the URL from its path template and the input (values encoded, never
 * leaving the base path), renders query, headers and body templates against the input, calls the
 * connection's `context.http` (auth, SSRF guard, error mapping; the runner retries idempotent
 * actions), maps the response body and checks it against the output schema when one is declared.
 */
import { buildUpstreamUrl } from '../../gateway/url.js';
import type { connectors } from '../../platform/db/schema.js';
import { KryonixError } from '../../platform/errors.js';
import {
  compileMapping,
  compileTemplate,
  evaluateCompiled,
  type JsonValue,
  validateAgainstSchema,
} from '../../transform/index.js';
import {
  type ActionContext,
  type ActionDefinition,
  type ConnectorDefinition,
  defineAction,
  defineConnector,
} from '../sdk.js';
import { type CustomActionSpec, type CustomConnectorSpec, pathParams } from './definition.js';

type ConnectorRow = typeof connectors.$inferSelect;

const inputError = (path: string, message: string) =>
  new KryonixError('KRX_VALIDATION_FAILED', message, { extensions: { errors: [{ path, message }] } });

const scalar = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);

function baseUrlOf(context: ActionContext): URL {
  const raw = context.connection.config.baseUrl;
  if (typeof raw !== 'string') throw inputError('/config/baseUrl', "the connection's config has no baseUrl");
  return new URL(raw);
}

function fillPath(template: string, input: Record<string, unknown>): string {
  return template.replace(/\{([^{}]+)\}/g, (_, raw: string) => {
    const name = raw.trim();
    const value = input[name];
    if (value === undefined || value === null || value === '')
      throw inputError(`/input/${name}`, `path parameter ${name} is required`);
    return encodeURIComponent(scalar(value));
  });
}

export function customAction(spec: CustomActionSpec): ActionDefinition {
  const query = Object.entries(spec.query ?? {}).map(
    ([name, template]) => [name, compileTemplate(template)] as const,
  );
  const headers = Object.entries(spec.headers ?? {}).map(
    ([name, template]) => [name, compileTemplate(template)] as const,
  );
  const body = spec.body === undefined ? undefined : compileTemplate(spec.body);
  const mapping = spec.responseMapping ? compileMapping(spec.responseMapping) : undefined;
  pathParams(spec.path); // declared on save; nothing to precompile
  return defineAction<Record<string, unknown>, unknown>({
    name: spec.name,
    description: spec.description,
    input: spec.input,
    output: spec.output ?? {},
    classification: spec.classification,
    idempotent: spec.idempotent,
    async run(context, input) {
      const data = input ?? {};
      const endpoint = fillPath(spec.path, data);
      const params: Record<string, string> = {};
      for (const [name, render] of query) {
        const value = await render(data);
        if (value !== null && value !== '') params[name] = scalar(value);
      }
      let url: URL;
      try {
        url = buildUpstreamUrl(baseUrlOf(context), { endpoint, query: params });
      } catch (error) {
        if (error instanceof KryonixError && error.code === 'KRX_VALIDATION_FAILED')
          throw inputError('/input', `the ${spec.name} path cannot be built: ${error.message}`);
        throw error;
      }
      const rendered: Record<string, string> = {};
      for (const [name, render] of headers) {
        const value = await render(data);
        if (value !== null && value !== '') rendered[name] = scalar(value);
      }
      const payload = body ? ((await body(data)) as JsonValue) : undefined;
      const response = await context.http({
        method: spec.method,
        url: url.href,
        headers: rendered,
        ...(payload !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD'
          ? { body: payload }
          : {}),
      });
      const result = mapping
        ? ((await evaluateCompiled(mapping, response.data)) ?? null)
        : (response.data ?? null);
      if (spec.output) {
        const checked = validateAgainstSchema(spec.output, result);
        if (!checked.valid)
          throw new KryonixError(
            'KRX_UPSTREAM_ERROR',
            `the ${spec.name} response does not match the action's output schema`,
            {
              extensions: {
                errors: checked.errors.map((issue) => ({ ...issue, path: `/output${issue.path}` })),
              },
            },
          );
      }
      return result;
    },
  });
}

export interface CustomRowExtras {
  testAction?: string;
  auth?: string[];
  /** Earlier versions (newest first), so connections pinned to them keep running them. */
  history?: Array<CustomConnectorSpec & { authSchema: unknown }>;
}

export const MAX_HISTORY = 20;

export function extrasOf(row: ConnectorRow): CustomRowExtras {
  return ((row.transformers as { custom?: CustomRowExtras } | null)?.custom ?? {}) as CustomRowExtras;
}

/** The stored spec of a custom connector row (its current version). */
export function specOfRow(row: ConnectorRow): CustomConnectorSpec {
  const extras = extrasOf(row);
  return {
    id: row.name,
    displayName: row.displayName,
    description: row.description ?? '',
    category: row.category,
    version: row.version,
    config: row.configSchema as Record<string, unknown>,
    auth: extras.auth ?? [],
    actions: (Array.isArray(row.endpoints) ? row.endpoints : []) as CustomActionSpec[],
    ...(extras.testAction ? { testAction: extras.testAction } : {}),
  };
}

const major = (version: string) => version.split('.')[0];

/**
 * The definition a connection pinned to `version` runs: that version (current or kept in the
 * history), else the current one when it has the same major; otherwise the connection must be updated.
 */
function pinnedSpec(row: ConnectorRow, version: string): { spec: CustomConnectorSpec; authSchema: unknown } {
  if (version === row.version) return { spec: specOfRow(row), authSchema: row.authSchema };
  const old = extrasOf(row).history?.find((entry) => entry.version === version);
  if (old) {
    const { authSchema, ...spec } = old;
    return { spec, authSchema };
  }
  if (major(version) === major(row.version)) return { spec: specOfRow(row), authSchema: row.authSchema };
  throw new KryonixError(
    'KRX_CONNECTOR_NOT_FOUND',
    `connector ${row.name} version ${version} is no longer available; recreate the connection`,
  );
}

const compiled = new Map<string, ConnectorDefinition>();

/** The runnable definition of a custom connector row at `version` (compiled once per row version). */
export function customConnectorOfRow(row: ConnectorRow, version = row.version): ConnectorDefinition {
  const key = `${row.id}|${version}|${row.version}|${new Date(row.updatedAt).getTime()}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const { spec, authSchema } = pinnedSpec(row, version);
  const actions = spec.actions.map(customAction);
  const definition = defineConnector({
    id: spec.id,
    version: spec.version,
    displayName: spec.displayName,
    description: spec.description,
    type: 'custom',
    category: spec.category,
    config: spec.config,
    auth: (authSchema as Record<string, unknown> | null) ?? {},
    actions,
    async test(context) {
      if (spec.testAction) {
        const action = actions.find((a) => a.name === spec.testAction);
        if (action) {
          await action.run(context, {});
          return { ok: true, message: `action ${spec.testAction} succeeded` };
        }
      }
      const response = await context.http({ method: 'GET', url: baseUrlOf(context).href });
      return { ok: true, message: `GET / answered ${response.status}`, details: { status: response.status } };
    },
  });
  if (compiled.size > 500) compiled.clear();
  compiled.set(key, definition);
  return definition;
}
