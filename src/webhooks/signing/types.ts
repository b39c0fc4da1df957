/** Header values as Node gives them, keys lowercased. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface InboundRequest {
  readonly headers: RequestHeaders;
  /** The body exactly as received: every signature is over these bytes, never over re-serialised JSON. */
  readonly rawBody: Buffer;
  readonly method: string;
  /** Path and query as received; what `{url}` in a generic HMAC template signs. */
  readonly url: string;
}

export const AUTH_TYPES = [
  'none',
  'secret',
  'basic',
  'jwt',
  'hmac',
  'standard-webhooks',
  'stripe',
  'github',
  'slack',
  'shopify',
] as const;

export type AuthType = (typeof AUTH_TYPES)[number];

/** The provider presets: fixed HMAC schemes, as opposed to the generic `hmac` the tenant describes. */
export type PresetType = 'standard-webhooks' | 'stripe' | 'github' | 'slack' | 'shopify';

/** Types whose requests carry an HMAC of the body, so a sender can be simulated with `signForEndpoint`. */
export type HmacAuthType = 'hmac' | PresetType;

export interface InboundAuth {
  readonly type: AuthType;
  /**
   * Decrypted secrets, newest first. Several during a rotation overlap: any one of them is accepted.
   * For `basic` these are the accepted passwords; `jwt` with RS256/ES256 needs none.
   */
  readonly secrets: readonly string[];
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface VerifyFailure {
  readonly ok: false;
  /** Safe to show the caller: names what failed, never an expected value. */
  readonly reason: string;
}

export type VerifyResult = { readonly ok: true; readonly deliveryId?: string } | VerifyFailure;

/** One authentication type's check, with its configuration and secrets already bound. */
export type Check = (
  request: InboundRequest,
  now: Date,
) => VerifyFailure | undefined | Promise<VerifyFailure | undefined>;
