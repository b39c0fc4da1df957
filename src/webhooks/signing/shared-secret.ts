import type { SharedSecretConfig } from './config.js';
import { matchesAny } from './constant-time.js';
import { fail, readHeader } from './failure.js';
import type { Check } from './types.js';

/** The secret itself travels in a header (`x-webhook-secret` by default); any current secret is accepted. */
export function sharedSecretCheck(config: SharedSecretConfig, secrets: readonly string[]): Check {
  return (request) => {
    const provided = readHeader(request.headers, config.header);
    if (typeof provided !== 'string') return provided;
    return matchesAny([provided], secrets) ? undefined : fail('secret mismatch');
  };
}
