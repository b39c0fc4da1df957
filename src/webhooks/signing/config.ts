import { createPublicKey } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { KryonixError } from '../../platform/errors.js';
import { TEMPLATE_FIELDS, templatePlaceholders } from './hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
import { AUTH_TYPES, type AuthType, type InboundAuth } from './types.js';

interface BaseConfig {
  /** Header whose value deduplicates deliveries; overrides the preset's own source. */
  readonly deliveryIdHeader?: string;
}

export interface SharedSecretConfig extends BaseConfig {
  readonly header: string;
}

export interface BasicConfig extends BaseConfig {
  readonly username: string;
}

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface JwtConfig extends BaseConfig {
  readonly algorithm: JwtAlgorithm;
  readonly jwksUrl?: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKey?: string;
  readonly issuer?: string;
  readonly audience?: string | readonly string[];
  /** Header carrying the token; a leading `Bearer ` is stripped. */
  readonly header: string;
}

export interface HmacConfig extends BaseConfig {
  readonly algorithm: 'sha1' | 'sha256' | 'sha512';
  readonly header: string;
  readonly encoding: 'hex' | 'base64';
  readonly prefix: string;
  readonly signed: string;
  readonly timestampHeader?: string;
  readonly idHeader?: string;
  readonly toleranceSeconds: number;
}

export interface TimestampedPresetConfig extends BaseConfig {
  readonly toleranceSeconds: number;
}

/** The configuration each type takes, after validation and defaults. */
export interface AuthConfigs {
  none: BaseConfig;
  secret: SharedSecretConfig;
  basic: BasicConfig;
  jwt: JwtConfig;
  hmac: HmacConfig;
  'standard-webhooks': TimestampedPresetConfig;
  stripe: TimestampedPresetConfig;
  slack: TimestampedPresetConfig;
  github: BaseConfig;
  shopify: BaseConfig;
}

// RFC 9110 token characters.
const headerName = { type: 'string', minLength: 1, maxLength: 100, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" };
const tolerance = { type: 'integer', minimum: 1, maximum: 86_400, default: DEFAULT_TOLERANCE_SECONDS };

function configSchema(properties: Record<string, object>, required: string[] = []) {
  return {
    type: 'object',
    properties: { deliveryIdHeader: headerName, ...properties },
    required,
    additionalProperties: false,
  };
}

/** JSON Schema of each type's `config`; the endpoint routes reuse these for their request bodies. */
export const AUTH_CONFIG_SCHEMAS: Readonly<Record<AuthType, object>> = {
  none: configSchema({}),
  secret: configSchema({ header: { ...headerName, default: 'x-webhook-secret' } }),
  basic: configSchema({ username: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^:]*$' } }, [
    'username',
  ]),
  jwt: configSchema(
    {
      algorithm: { enum: ['HS256', 'RS256', 'ES256'] },
      jwksUrl: { type: 'string', maxLength: 2048, pattern: '^https?://' },
      publicKey: { type: 'string', maxLength: 16_384, pattern: '^-----BEGIN PUBLIC KEY-----' },
      issuer: { type: 'string', minLength: 1, maxLength: 1024 },
      audience: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 1024 },
          {
            type: 'array',
            minItems: 1,
            maxItems: 16,
            items: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        ],
      },
      header: { ...headerName, default: 'authorization' },
    },
    ['algorithm'],
  ),
  hmac: configSchema(
    {
      algorithm: { enum: ['sha1', 'sha256', 'sha512'], default: 'sha256' },
      header: headerName,
      encoding: { enum: ['hex', 'base64'], default: 'hex' },
      prefix: { type: 'string', maxLength: 64, default: '' },
      signed: { type: 'string', minLength: 1, maxLength: 256, default: '{body}' },
      timestampHeader: headerName,
      idHeader: headerName,
      toleranceSeconds: tolerance,
    },
    ['header'],
  ),
  'standard-webhooks': configSchema({ toleranceSeconds: tolerance }),
  stripe: configSchema({ toleranceSeconds: tolerance }),
  slack: configSchema({ toleranceSeconds: tolerance }),
  github: configSchema({}),
  shopify: configSchema({}),
};

const ajv = new Ajv({ allErrors: true, useDefaults: true });
const validators = new Map(AUTH_TYPES.map((type) => [type, ajv.compile(AUTH_CONFIG_SCHEMAS[type])]));

interface Problem {
  readonly field: string;
  readonly message: string;
}

function schemaProblem(error: ErrorObject): Problem {
  const path = `config${error.instancePath.replaceAll('/', '.')}`;
  const { additionalProperty, missingProperty } = error.params as Record<string, string | undefined>;
  if (additionalProperty)
    return { field: `${path}.${additionalProperty}`, message: 'is not a known setting' };
  if (missingProperty) return { field: `${path}.${missingProperty}`, message: 'is required' };
  return { field: path, message: error.message ?? 'is invalid' };
}

/** What each type needs of `secrets`: `whsec` secrets must be `whsec_<base64>`; jwt needs them only for HS256. */
const SECRET_KINDS: Readonly<Record<AuthType, 'unused' | 'optional' | 'required' | 'whsec'>> = {
  none: 'unused',
  secret: 'required',
  basic: 'required',
  jwt: 'optional',
  hmac: 'required',
  'standard-webhooks': 'whsec',
  stripe: 'required',
  github: 'required',
  slack: 'required',
  shopify: 'required',
};

const WHSEC = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;

function secretProblems(type: AuthType, secrets: readonly unknown[]): Problem[] {
  const kind = SECRET_KINDS[type];
  if (kind === 'unused') return [];
  if (kind !== 'optional' && secrets.length === 0)
    return [{ field: 'secrets', message: 'needs at least one secret' }];
  return secrets.flatMap((secret, index): Problem[] => {
    const field = `secrets.${index}`;
    if (typeof secret !== 'string' || secret === '')
      return [{ field, message: 'must be a non-empty string' }];
    if (kind === 'whsec' && !WHSEC.test(secret))
      return [{ field, message: 'must be whsec_ followed by base64' }];
    return [];
  });
}

const PUBLIC_KEY_KINDS: Readonly<Record<Exclude<JwtAlgorithm, 'HS256'>, { type: string; curve?: string }>> = {
  RS256: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1' },
};

function publicKeyProblems(algorithm: JwtAlgorithm, pem: string): Problem[] {
  const expected = PUBLIC_KEY_KINDS[algorithm as Exclude<JwtAlgorithm, 'HS256'>];
  try {
    const key = createPublicKey(pem);
    const fits =
      key.asymmetricKeyType === expected.type && key.asymmetricKeyDetails?.namedCurve === expected.curve;
    return fits ? [] : [{ field: 'config.publicKey', message: `is not a key for ${algorithm}` }];
  } catch {
    return [{ field: 'config.publicKey', message: 'is not a PEM public key' }];
  }
}

/** Rules across fields, which JSON Schema would state only with unreadable errors. */
const CROSS_FIELD_RULES: Partial<
  Record<AuthType, (config: never, secrets: readonly unknown[]) => Problem[]>
> = {
  jwt: (config: JwtConfig, secrets) => {
    if (config.algorithm === 'HS256') {
      const problems: Problem[] = [];
      if (config.jwksUrl || config.publicKey) {
        problems.push({
          field: 'config.algorithm',
          message: 'HS256 verifies with the secrets, not a public key',
        });
      }
      if (secrets.length === 0)
        problems.push({ field: 'secrets', message: 'HS256 needs at least one secret' });
      return problems;
    }
    if (Boolean(config.jwksUrl) === Boolean(config.publicKey)) {
      return [
        {
          field: 'config.jwksUrl',
          message: `${config.algorithm} needs exactly one of jwksUrl and publicKey`,
        },
      ];
    }
    if (config.jwksUrl && !URL.canParse(config.jwksUrl))
      return [{ field: 'config.jwksUrl', message: 'is not a URL' }];
    return config.publicKey ? publicKeyProblems(config.algorithm, config.publicKey) : [];
  },
  hmac: (config: HmacConfig) => {
    const placeholders = templatePlaceholders(config.signed);
    const problems: Problem[] = placeholders
      .filter((name) => !(TEMPLATE_FIELDS as readonly string[]).includes(name))
      .map((name) => ({ field: 'config.signed', message: `has an unknown placeholder {${name}}` }));
    // A scheme that does not sign the body authenticates nothing about what is delivered.
    if (!placeholders.includes('body'))
      problems.push({ field: 'config.signed', message: 'must sign {body}' });
    // A timestamp or id read but not signed could be changed by anyone; one signed but never read cannot be checked.
    const pairs = [
      ['timestamp', 'timestampHeader'],
      ['id', 'idHeader'],
    ] as const;
    for (const [placeholder, header] of pairs) {
      if (placeholders.includes(placeholder) !== Boolean(config[header])) {
        problems.push({
          field: `config.${header}`,
          message: `is required exactly when config.signed has {${placeholder}}`,
        });
      }
    }
    return problems;
  },
};

const HEADER_FIELDS = ['header', 'timestampHeader', 'idHeader', 'deliveryIdHeader'] as const;

export interface ValidAuth<T extends AuthType = AuthType> {
  readonly type: T;
  readonly secrets: readonly string[];
  readonly config: AuthConfigs[T];
}

/**
 * Checks an endpoint's authentication settings and fills in defaults (header names lowercased).
 * Throws KRX_VALIDATION_FAILED naming each bad field; the messages never contain a secret.
 */
export function validateAuth(auth: InboundAuth): ValidAuth {
  const validate = validators.get(auth.type);
  if (!validate) {
    throw new KryonixError('KRX_VALIDATION_FAILED', 'unknown authentication type', {
      extensions: { errors: [{ field: 'type', message: `must be one of ${AUTH_TYPES.join(', ')}` }] },
    });
  }
  const config: Record<string, unknown> = structuredClone(auth.config ?? {});
  const secrets: readonly unknown[] = Array.isArray(auth.secrets) ? auth.secrets : [];
  const problems = validate(config) ? [] : (validate.errors ?? []).map(schemaProblem);
  problems.push(...secretProblems(auth.type, secrets));
  if (problems.length === 0)
    problems.push(...(CROSS_FIELD_RULES[auth.type]?.(config as never, secrets) ?? []));
  if (problems.length > 0) {
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `invalid ${auth.type} authentication: ${problems[0].field} ${problems[0].message}`,
      { extensions: { errors: problems } },
    );
  }
  for (const field of HEADER_FIELDS) {
    if (typeof config[field] === 'string') config[field] = config[field].toLowerCase();
  }
  return {
    type: auth.type,
    secrets: secrets as readonly string[],
    config: config as unknown as AuthConfigs[AuthType],
  };
}
