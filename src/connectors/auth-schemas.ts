/**
 * JSON Schemas of the auth methods the shared auth helpers implement; connectors compose the ones
 * they support. Secret fields are `writeOnly`: they belong in a connection's `credentials`.
 */
import type { JsonSchema } from './sdk.js';

const secret = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  writeOnly: true,
  description,
});

function method(
  type: string,
  description: string,
  properties: Record<string, JsonSchema>,
  required: string[],
): JsonSchema {
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
      name: {
        type: 'string',
        minLength: 1,
        default: 'X-API-Key',
        description: 'Header or query parameter name',
      },
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
      clientAuth: {
        enum: ['body', 'basic'],
        default: 'body',
        description: 'Send the client credentials in the form body or a Basic header',
      },
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
      scope: { type: 'string', description: 'Space-separated scopes' },
      clientAuth: {
        enum: ['body', 'basic'],
        default: 'body',
        description: 'Send the client credentials in the form body or a Basic header',
      },
    },
    ['tokenUrl', 'clientId', 'refreshToken'],
  ),
  oauth2Password: method(
    'oauth2_password',
    'OAuth 2.0 resource owner password grant (e.g. Salesforce username-password flow)',
    {
      tokenUrl: { type: 'string', format: 'uri', description: 'Token endpoint' },
      clientId: { type: 'string', minLength: 1, description: 'Client id' },
      clientSecret: secret('Client secret'),
      username: { type: 'string', minLength: 1, description: 'User name' },
      password: secret('Password'),
      securityToken: secret('Security token appended to the password (Salesforce)'),
    },
    ['tokenUrl', 'clientId', 'username', 'password'],
  ),
  jwtBearer: method(
    'jwt_bearer',
    'OAuth 2.0 JWT bearer grant (RFC 7523): a service account signs an RS256 assertion',
    {
      tokenUrl: { type: 'string', format: 'uri', description: 'Token endpoint' },
      issuer: {
        type: 'string',
        minLength: 1,
        description: 'Assertion issuer: the service account email or client id',
      },
      subject: {
        type: 'string',
        description: 'User to act as (domain-wide delegation, Salesforce username)',
      },
      audience: { type: 'string', description: 'Assertion audience; defaults to the token endpoint' },
      scope: { type: 'string', description: 'Space-separated scopes' },
      keyId: { type: 'string', description: 'Key id put in the JWT header' },
      privateKey: secret('PKCS#8 PEM private key that signs the assertion'),
    },
    ['tokenUrl', 'issuer', 'privateKey'],
  ),
} as const satisfies Record<string, JsonSchema>;

export function authSchemaOf(...methods: JsonSchema[]): JsonSchema {
  return { oneOf: methods };
}
