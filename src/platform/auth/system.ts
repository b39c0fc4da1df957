/**
 * Audit contexts for work no HTTP request asked for: the `kryonix` command line, the first start's
 * bootstrap, background workers. They have no source IP and no request id; the actor names the
 * program (and for the command line, the operating-system user who ran it).
 */
import os from 'node:os';
import type { RequestContext } from '../audit.js';

/**
 * `actor` is recorded as is, e.g. `system:bootstrap`. Never reaches an HTTP route or a role check.
 * `tenantId`: the tenant its entries belong to when it works for one (the scheduler's health checks).
 */
export function systemContext(actor: string, tenantId: string | null = null): RequestContext {
  return {
    principal: { kind: 'system', subject: actor, tenantId, role: 'owner' },
    sourceIp: null,
    requestId: null,
  };
}

/** The OS account running this process; a container user without a passwd entry has only a uid. */
function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Who ran a `kryonix` command: `cli:<os user>`. */
export function cliContext(): RequestContext {
  return systemContext(`cli:${osUser()}`);
}
