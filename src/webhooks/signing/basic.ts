import type { BasicConfig } from './config.js';
import { matchesAny, safeEqual } from './constant-time.js';
import { fail, readHeader } from './failure.js';
import type { Check } from './types.js';

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;

/** `Authorization: Basic base64(username:password)`; the secrets are the accepted passwords. */
export function basicCheck(config: BasicConfig, secrets: readonly string[]): Check {
  return (request) => {
    const header = readHeader(request.headers, 'authorization');
    if (typeof header !== 'string') return header;
    const encoded = BASIC.exec(header)?.[1];
    const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return fail('malformed header authorization');
    // Both halves are always compared, so the time does not say whether the username was right.
    const usernameMatches = safeEqual(decoded.slice(0, colon), config.username);
    const passwordMatches = matchesAny([decoded.slice(colon + 1)], secrets);
    return usernameMatches && passwordMatches ? undefined : fail('credentials mismatch');
  };
}
