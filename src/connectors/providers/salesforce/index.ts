import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector, type JsonSchema } from '../../sdk.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { apiVersion, DEFAULT_API_VERSION, describeSalesforceError, SALESFORCE } from './api.js';
import { salesforceConnection } from './connection.js';
import { createRecord } from './create-record.js';
import { deleteRecord } from './delete-record.js';
import { getRecord } from './get-record.js';
import { forget, quotaSamples, usageOf } from './limits.js';
import { query } from './query.js';
import { updateRecord } from './update-record.js';
import { upsertRecord } from './upsert-record.js';

type MethodSchema = { properties: Record<string, JsonSchema>; required: string[]; description: string };

/**
 * The shared auth methods, with what Salesforce adds: no `expires_in` comes with its tokens, so a
 * token is used until a 401 (or `tokenLifetimeSeconds`, default one hour); the JWT bearer assertion's
 * audience is the login host, not the token URL.
 */
function salesforceAuth(method: JsonSchema, extra: Partial<MethodSchema> = {}): JsonSchema {
  const base = method as unknown as MethodSchema;
  return {
    ...method,
    ...(extra.description ? { description: extra.description } : {}),
    properties: {
      ...base.properties,
      tokenUrl: {
        ...base.properties.tokenUrl,
        description:
          'Token endpoint: https://login.salesforce.com/services/oauth2/token (test.salesforce.com for sandboxes, or the My Domain host)',
      },
      tokenLifetimeSeconds: {
        type: 'integer',
        minimum: 60,
        maximum: 86_400,
        description:
          'Salesforce sends no expires_in: get a new token after this many seconds (default 3600) and always on a 401',
      },
      ...extra.properties,
    },
    required: [...base.required, ...(extra.required ?? [])],
  };
}

export const salesforceConnector = defineConnector({
  id: 'salesforce',
  version: '1.0.0',
  displayName: SALESFORCE,
  description:
    'Salesforce REST API: SOQL queries with nextRecordsUrl paging, read, create, update, upsert and delete records.',
  type: 'rest',
  category: 'crm',
  provider: 'Salesforce',
  docsUrl: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/',
  config: {
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        pattern: '^\\d{2,3}\\.\\d$',
        default: DEFAULT_API_VERSION,
        description: `REST API version every call uses, pinned so an org upgrade changes nothing (default ${DEFAULT_API_VERSION})`,
      },
      instanceUrl: urlField("The org's instance URL; by default the instance_url the token endpoint sends"),
      limitBackoffSeconds: {
        type: 'integer',
        minimum: 1,
        maximum: 86_400,
        default: 300,
        description: 'How long to stop calling once the org has used up its API requests',
      },
      ...RUNNER_SETTINGS,
    },
    additionalProperties: false,
  },
  auth: {
    oneOf: [
      salesforceAuth(AUTH_METHODS.oauth2Password, {
        description:
          'Username-password flow: password with the security token appended (or in securityToken)',
      }),
      salesforceAuth(AUTH_METHODS.oauth2ClientCredentials, {
        description:
          'Client credentials flow (token URL on the My Domain host; the run-as user is set in the app)',
      }),
      salesforceAuth(AUTH_METHODS.jwtBearer, {
        description: 'JWT bearer flow: issuer is the consumer key, subject the username',
        properties: {
          audience: {
            type: 'string',
            format: 'uri',
            description: 'https://login.salesforce.com, https://test.salesforce.com, or the My Domain URL',
          },
        },
        required: ['subject', 'audience'],
      }),
    ],
  },
  rateLimits: { note: 'API requests per rolling 24 hours per org, reported in Sforce-Limit-Info' },
  describeError: describeSalesforceError,
  actions: [query, getRecord, createRecord, updateRecord, deleteRecord, upsertRecord],
  async test(context) {
    const connection = await salesforceConnection(context);
    await connection.request('/');
    const usage = usageOf(context.connection.id);
    return {
      ok: true,
      message: `API v${apiVersion(context)} answers at ${connection.instanceUrl}${
        usage ? ` (API requests used: ${usage.used} of ${usage.max})` : ''
      }`,
      details: {
        instanceUrl: connection.instanceUrl,
        apiVersion: apiVersion(context),
        ...(usage ? { apiUsage: { used: usage.used, max: usage.max } } : {}),
      },
    };
  },
  async release(connectionId) {
    forget(connectionId);
  },
  quotas: quotaSamples,
});
