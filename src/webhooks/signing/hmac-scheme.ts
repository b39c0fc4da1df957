import { createHmac } from 'node:crypto';
import { matchesAny } from './constant-time.js';
import { fail, readHeader } from './failure.js';
import { SIGNATURE_FORMATS, type SignatureFormatName } from './signature-formats.js';
import { checkTimestamp } from './timestamp.js';
import type { Check, VerifyFailure } from './types.js';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type SignatureEncoding = 'hex' | 'base64';
/** `whsec`: Standard Webhooks' `whsec_<base64>`, whose decoded bytes are the key; `utf8`: the text is the key. */
export type SecretFormat = 'utf8' | 'whsec';

/** Everything that tells one HMAC webhook scheme from another. Provider presets are values of this type. */
export interface HmacScheme {
  readonly algorithm: HmacAlgorithm;
  readonly encoding: SignatureEncoding;
  /** Lowercased name of the header carrying the signature(s). */
  readonly signatureHeader: string;
  readonly signatureFormat: SignatureFormatName;
  /** Text before the signature in the plain format, e.g. `sha256=`. */
  readonly prefix: string;
  /** What is signed: literal text with the placeholders of TEMPLATE_FIELDS, e.g. `v0:{timestamp}:{body}`. */
  readonly signed: string;
  /** Header holding the signed timestamp, for formats that do not carry it in the signature header. */
  readonly timestampHeader?: string;
  /** Header holding the message id that `{id}` signs. */
  readonly idHeader?: string;
  readonly secretFormat: SecretFormat;
  readonly toleranceSeconds: number;
}

export const TEMPLATE_FIELDS = ['id', 'timestamp', 'body', 'method', 'url'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** The values a template can sign; `body` is the raw bytes. */
export type SignedFields = { readonly body: Buffer } & Partial<
  Readonly<Record<Exclude<TemplateField, 'body'>, string>>
>;

type TemplatePart = { readonly literal: string } | { readonly field: TemplateField };

const PLACEHOLDER = /\{([a-z]+)\}/g;

export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]);
}

/** Splits a template (its placeholders already validated) into literal text and fields, once per scheme. */
function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let end = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > end) parts.push({ literal: template.slice(end, match.index) });
    parts.push({ field: match[1] as TemplateField });
    end = match.index + match[0].length;
  }
  if (end < template.length) parts.push({ literal: template.slice(end) });
  return parts;
}

const SECRET_KEYS: Readonly<Record<SecretFormat, (secret: string) => Buffer>> = {
  utf8: (secret) => Buffer.from(secret, 'utf8'),
  whsec: (secret) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64'),
};

// Hex digests are case-insensitive; some senders upper-case them.
const NORMALISE_PROVIDED: Readonly<Record<SignatureEncoding, (signature: string) => string>> = {
  hex: (signature) => signature.toLowerCase(),
  base64: (signature) => signature,
};

/** A scheme with its template split once, ready to sign and verify. */
export class CompiledScheme {
  private readonly template: readonly TemplatePart[];

  constructor(readonly scheme: HmacScheme) {
    this.template = compileTemplate(scheme.signed);
  }

  /** The encoded signature of the fields under one secret; the body is fed to the MAC as bytes, never copied. */
  signature(secret: string, fields: SignedFields): string {
    const mac = createHmac(this.scheme.algorithm, SECRET_KEYS[this.scheme.secretFormat](secret));
    for (const part of this.template) {
      mac.update('literal' in part ? part.literal : (fields[part.field] ?? ''));
    }
    return mac.digest(this.scheme.encoding);
  }

  /** The headers a sender adds: signature(s), and the timestamp and id headers the scheme reads. */
  headers(secrets: readonly string[], fields: SignedFields): Record<string, string> {
    const { scheme } = this;
    const format = SIGNATURE_FORMATS[scheme.signatureFormat];
    const signing = format.multiple ? secrets : secrets.slice(0, 1);
    const signatures = signing.map((secret) => this.signature(secret, fields));
    const headers: Record<string, string> = {
      [scheme.signatureHeader]: format.format(signatures, scheme, fields.timestamp),
    };
    if (scheme.timestampHeader && fields.timestamp !== undefined)
      headers[scheme.timestampHeader] = fields.timestamp;
    if (scheme.idHeader && fields.id !== undefined) headers[scheme.idHeader] = fields.id;
    return headers;
  }

  /** The inbound check: headers present and well formed, timestamp in tolerance, then any secret's signature matches. */
  check(secrets: readonly string[]): Check {
    const { scheme } = this;
    const format = SIGNATURE_FORMATS[scheme.signatureFormat];
    return (request, now): VerifyFailure | undefined => {
      const header = readHeader(request.headers, scheme.signatureHeader);
      if (typeof header !== 'string') return header;
      const parsed = format.parse(header, scheme);
      if (!parsed) return fail(`malformed header ${scheme.signatureHeader}`);

      let timestamp = parsed.timestamp;
      if (scheme.timestampHeader) {
        const value = readHeader(request.headers, scheme.timestampHeader);
        if (typeof value !== 'string') return value;
        timestamp = value;
      }
      let id: string | undefined;
      if (scheme.idHeader) {
        const value = readHeader(request.headers, scheme.idHeader);
        if (typeof value !== 'string') return value;
        id = value;
      }
      if (timestamp !== undefined) {
        const stale = checkTimestamp(timestamp, now, scheme.toleranceSeconds);
        if (stale) return stale;
      }

      const fields: SignedFields = {
        id,
        timestamp,
        body: request.rawBody,
        method: request.method,
        url: request.url,
      };
      const expected = secrets.map((secret) => this.signature(secret, fields));
      const provided = parsed.signatures.map(NORMALISE_PROVIDED[scheme.encoding]);
      return matchesAny(provided, expected) ? undefined : fail('signature mismatch');
    };
  }
}
