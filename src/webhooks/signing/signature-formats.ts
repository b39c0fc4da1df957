import type { HmacScheme } from './hmac-scheme.js';

/** How one header carries the signature(s), and for Stripe the timestamp too. */
export type SignatureFormatName = 'plain' | 'stripe' | 'standard-webhooks';

export interface ParsedSignatureHeader {
  readonly signatures: readonly string[];
  readonly timestamp?: string;
}

interface SignatureFormat {
  /** Whether one header can carry a signature per secret (what lets senders rotate secrets). */
  readonly multiple: boolean;
  /** Undefined when the header is not in this format. */
  parse(value: string, scheme: HmacScheme): ParsedSignatureHeader | undefined;
  format(signatures: readonly string[], scheme: HmacScheme, timestamp: string | undefined): string;
}

// Bounds the work one request can ask for: each signature read is compared with each secret.
const MAX_SIGNATURES = 16;

function stripeElements(value: string): [key: string, value: string][] {
  return value.split(',').map((element) => {
    const separator = element.indexOf('=');
    return [element.slice(0, separator).trim(), element.slice(separator + 1).trim()];
  });
}

export const SIGNATURE_FORMATS: Readonly<Record<SignatureFormatName, SignatureFormat>> = {
  // `<prefix><signature>`, e.g. GitHub's `sha256=<hex>` or Shopify's bare base64.
  plain: {
    multiple: false,
    parse: (value, scheme) =>
      value.startsWith(scheme.prefix) ? { signatures: [value.slice(scheme.prefix.length)] } : undefined,
    format: (signatures, scheme) => `${scheme.prefix}${signatures[0]}`,
  },
  // `t=<unix seconds>,v1=<hex>,v1=<hex>`; other schemes (v0 test signatures) are ignored, as Stripe's libraries do.
  stripe: {
    multiple: true,
    parse: (value) => {
      const elements = stripeElements(value);
      const timestamp = elements.find(([key]) => key === 't')?.[1];
      const signatures = elements
        .filter(([key]) => key === 'v1')
        .map(([, signature]) => signature)
        .slice(0, MAX_SIGNATURES);
      return timestamp && signatures.length > 0 ? { timestamp, signatures } : undefined;
    },
    format: (signatures, _scheme, timestamp) =>
      [`t=${timestamp}`, ...signatures.map((signature) => `v1=${signature}`)].join(','),
  },
  // Space-separated `v1,<base64>`; `v1a` (ed25519) entries are not ours to check and are skipped.
  'standard-webhooks': {
    multiple: true,
    parse: (value) => {
      const signatures = value
        .split(' ')
        .filter((entry) => entry.startsWith('v1,'))
        .map((entry) => entry.slice('v1,'.length))
        .slice(0, MAX_SIGNATURES);
      return signatures.length > 0 ? { signatures } : undefined;
    },
    format: (signatures) => signatures.map((signature) => `v1,${signature}`).join(' '),
  },
};
