/**
 * JSON Schemas of the auth methods the shared auth helpers implement; connectors compose the ones
 * they support. Secret fields are `writeOnly`: they belong in a connection's `credentials`.
 */
import type { JsonSchema } from './sdk.js';

const secret = (description: string): JsonSchema => ({ type: 'string', minLength: 1, writeOnly: true, description });

function method(type: string, description: string, properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return {
    type: 'object',
    description,
    properties: { type: { const: type, description: 'Auth method' }, ...properties },
    required: ['type', ...required],
    additionalProperties: false,
  };
}

export const AUTH_METHODS = {
  none: method('none', 'No authentication', {}, []),
  apiKey: method(
    'api_key',
    'An API key sent in a header or the query string',
    {
      in: { enum: ['header', 'query'], default: 'header', description: 'Where the key goes' },
      name: { type: 'string', minLength: 1, default: 'X-API-Key', description: 'Header or query parameter name' },
      apiKey: secret('The API key'),
    },
    ['apiKey'],
  ),
  basic: method(
    'basic',
    'HTTP Basic authentication',
    { username: { type: 'string', minLength: 1, description: 'User name' }, password: secret('Password') },
    ['username', 'password'],
  ),
  bearer: method('bearer', 'A static bearer token', { token: secret('The bearer token') }, ['token']),
  oauth2ClientCredentials: method(
    'oauth2_client_credentials',
    'OAuth 2.0 client credentials grant; tokens are cached and refreshed before expiry',
    {
      tokenUrl: { type: 'string', format: 'uri', description: 'Token endpoint' },
      clientId: { type: 'string', minLength: 1, description: 'Client id' },
      clientSecret: secret('Client secret'),
      scope: { type: 'string', description: 'Space-separated scopes' },
      audience: { type: 'string', description: 'Audience, for providers that need one' },
    },
    ['tokenUrl', 'clientId', 'clientSecret'],
  ),
  oauth2RefreshToken: method(
    'oauth2_refresh_token',
    'OAuth 2.0 refresh token grant; refreshed tokens are stored encrypted',
    {
      tokenUrl: { type: 'string', format: 'uri', description: 'Token endpoint' },
      clientId: { type: 'string', minLength: 1, description: 'Client id' },
      clientSecret: secret('Client secret'),
      refreshToken: secret('Refresh token'),
    },
    ['tokenUrl', 'clientId', 'refreshToken'],
  ),
} as const satisfies Record<string, JsonSchema>;

export function authSchemaOf(...methods: JsonSchema[]): JsonSchema {
  return { oneOf: methods };
}
