import { AUTH_METHODS, authSchemaOf } from '../../auth-schemas.js';
import { defineConnector } from '../../sdk.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { describeSapError, forgetCsrf, odata, SAP, versionOf } from './api.js';
import { createEntity } from './create-entity.js';
import { deleteEntity } from './delete-entity.js';
import { getEntity } from './get-entity.js';
import { metadata } from './metadata.js';
import { query } from './query.js';
import { updateEntity } from './update-entity.js';

export const sapConnector = defineConnector({
  id: 'sap',
  version: '1.0.0',
  displayName: SAP,
  description:
    'SAP S/4HANA and other OData v2/v4 services: entity set queries with paging, read, create, update and delete with the CSRF token handshake.',
  type: 'rest',
  category: 'erp',
  provider: 'SAP',
  docsUrl: 'https://api.sap.com/',
  config: {
    type: 'object',
    properties: {
      serviceUrl: urlField(
        'Service root, e.g. https://host/sap/opu/odata/sap/API_BUSINESS_PARTNER (v2) or …/odata4/… (v4)',
      ),
      version: { enum: ['2', '4'], default: '2', description: 'OData version of the service' },
      sapClient: { type: 'string', pattern: '^[0-9]{3}$', description: 'sap-client sent with every request' },
      csrf: {
        type: 'boolean',
        default: true,
        description: 'Fetch and send an x-csrf-token with writes (SAP Gateway requires it)',
      },
      ...RUNNER_SETTINGS,
    },
    required: ['serviceUrl'],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.basic, AUTH_METHODS.oauth2ClientCredentials),
  describeError: describeSapError,
  actions: [query, getEntity, createEntity, updateEntity, deleteEntity, metadata],
  async test(context) {
    const response = await odata<{
      d?: { EntitySets?: string[] };
      value?: Array<{ name?: string; url?: string }>;
    }>(context, { method: 'GET', path: '' });
    const body = response.data;
    const sets: string[] =
      versionOf(context) === '2'
        ? (body?.d?.EntitySets ?? [])
        : (body?.value ?? []).map((entry) => entry.name ?? entry.url ?? '');
    return {
      ok: true,
      message: `OData v${versionOf(context)} service answers with ${sets.length} entity sets`,
      details: { entitySets: sets.slice(0, 50) },
    };
  },
  async release(connectionId) {
    forgetCsrf(connectionId);
  },
});
