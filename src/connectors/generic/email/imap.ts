/**
 * IMAP for the email connector (imapflow): one connection per run, opened to the address the SSRF
 * guard checked (TLS still verifies the configured host name), logged in with the connection's basic
 * credentials, closed when the run ends or its timeout aborts it. Mailboxes are opened read-only
 * unless the action changes flags, so reading a message never marks it seen.
 */
import { isIP } from 'node:net';
import { ImapFlow, type ImapFlowError, type MailboxObject } from 'imapflow';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext, JsonSchema } from '../../sdk.js';

export interface ImapSettings {
  host: string;
  port?: number;
  secure?: boolean;
  starttls?: 'required' | 'opportunistic' | 'never';
  mailbox?: string;
}

export const IMAP_CONFIG: JsonSchema = {
  type: 'object',
  description: "IMAP server for reading mail; logs in with the connection's basic credentials",
  properties: {
    host: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'IMAP server host (checked by the SSRF guard)',
    },
    port: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      description: 'Port (default 993 with secure, else 143)',
    },
    secure: { type: 'boolean', default: true, description: 'Implicit TLS (port 993)' },
    starttls: {
      enum: ['required', 'opportunistic', 'never'],
      default: 'required',
      description:
        'Without implicit TLS: refuse to log in unless STARTTLS succeeds (required), use it when offered, or never',
    },
    mailbox: {
      type: 'string',
      minLength: 1,
      maxLength: 1000,
      default: 'INBOX',
      description: 'Mailbox the actions read when the input names none',
    },
  },
  required: ['host'],
  additionalProperties: false,
};

/** The `mailbox` input field every IMAP action takes. */
export const MAILBOX_INPUT: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 1000,
  description: "Mailbox path (INBOX, Archive/2026); defaults to the connection's imap.mailbox",
};

/** The `uidValidity` input field: UIDs are only meaningful within one UIDVALIDITY of a mailbox. */
export const UID_VALIDITY_INPUT: JsonSchema = {
  type: 'string',
  pattern: '^[0-9]{1,20}$',
  description: 'UIDVALIDITY the UIDs came with (from listMessages); refused if the mailbox was rebuilt since',
};

export function imapSettingsOf(context: Pick<ActionContext, 'connection'>): ImapSettings | undefined {
  return context.connection.config.imap as ImapSettings | undefined;
}

export function mailboxOf(context: Pick<ActionContext, 'connection'>, input?: string): string {
  return input ?? imapSettingsOf(context)?.mailbox ?? 'INBOX';
}

/** IMAP failures → platform errors: refused logins are auth, network trouble is retryable. */
export function imapError(error: unknown, mailbox?: string, step?: 'open'): KryonixError {
  if (error instanceof KryonixError) return error;
  const e = error as ImapFlowError;
  const said = e.responseText ?? e.message ?? 'error';
  const extensions = {
    upstreamError: e.serverResponseCode ?? e.code,
    upstreamMessage: said,
  };
  if (e.authenticationFailed)
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', `IMAP: the server refused the login (${said})`, {
      extensions,
    });
  if (e.tlsFailed)
    return new KryonixError('KRX_UPSTREAM_REJECTED', `IMAP: the TLS upgrade failed (${said})`, {
      extensions,
    });
  if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT')
    return new KryonixError('KRX_UPSTREAM_REJECTED', `IMAP: mailbox "${mailbox ?? e.path}" does not exist`, {
      extensions,
    });
  if (
    ['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT'].includes(e.code ?? '')
  )
    return new KryonixError('KRX_UPSTREAM_TIMEOUT', `IMAP: ${said}`, { extensions });
  if (
    ['NoConnection', 'EConnectionClosed', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND'].includes(
      e.code ?? '',
    )
  )
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', `IMAP: ${said}`, {
      extensions: { ...extensions, retryable: true },
    });
  if (step === 'open' && (e.responseStatus === 'NO' || e.responseStatus === 'BAD'))
    return new KryonixError('KRX_UPSTREAM_REJECTED', `IMAP: mailbox "${mailbox}" cannot be opened: ${said}`, {
      extensions,
    });
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD')
    return new KryonixError('KRX_UPSTREAM_REJECTED', `IMAP: ${e.command ?? 'command'} refused: ${said}`, {
      extensions,
    });
  return new KryonixError('KRX_UPSTREAM_ERROR', `IMAP: ${said}`, { extensions });
}

/** Opens a logged-in IMAP session for this run; the caller must `logout()` it. */
export async function connectImap(context: ActionContext): Promise<ImapFlow> {
  const settings = imapSettingsOf(context);
  if (!settings)
    throw new KryonixError('KRX_VALIDATION_FAILED', 'this email connection has no IMAP server (config.imap)');
  const auth = { ...(context.connection.authConfig ?? {}), ...context.credentials } as {
    type?: string;
    username?: string;
    password?: string;
  };
  if (auth.type !== 'basic')
    throw new KryonixError('KRX_VALIDATION_FAILED', 'IMAP needs a login: use auth type basic');
  const secure = settings.secure ?? true;
  const starttls = settings.starttls ?? 'required';
  const timeout = Math.max(1000, context.deadline - Date.now());
  const client = new ImapFlow({
    host: await context.resolveTarget(settings.host),
    servername: isIP(settings.host) ? undefined : settings.host,
    port: settings.port ?? (secure ? 993 : 143),
    secure,
    doSTARTTLS: secure
      ? undefined
      : starttls === 'required'
        ? true
        : starttls === 'never'
          ? false
          : undefined,
    auth: { user: auth.username ?? '', pass: auth.password ?? '' },
    logger: false,
    disableAutoIdle: true,
    clientInfo: { name: 'kryonix' },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  // The session ends with the run: a timeout or a caller going away closes the socket.
  const abort = () => client.close();
  context.signal.addEventListener('abort', abort, { once: true });
  client.on('close', () => context.signal.removeEventListener('abort', abort));
  client.on('error', () => {}); // errors also reject the pending command, which reports them
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw imapError(error);
  }
  return client;
}

/**
 * Runs `work` with `mailbox` selected (read-only unless `write`) and logs out afterwards. A given
 * `uidValidity` that no longer matches the mailbox's is refused: its UIDs name other messages now.
 */
export async function withMailbox<T>(
  context: ActionContext,
  mailbox: string,
  options: { write?: boolean; uidValidity?: string },
  work: (client: ImapFlow, opened: MailboxObject) => Promise<T>,
): Promise<T> {
  const client = await connectImap(context);
  try {
    const lock = await client.getMailboxLock(mailbox, { readOnly: !options.write }).catch((error) => {
      throw imapError(error, mailbox, 'open');
    });
    try {
      const opened = client.mailbox as MailboxObject;
      if (options.uidValidity !== undefined && BigInt(options.uidValidity) !== opened.uidValidity)
        throw new KryonixError(
          'KRX_CONFLICT',
          `mailbox "${mailbox}" has UIDVALIDITY ${opened.uidValidity} now, not ${options.uidValidity}: list the messages again`,
        );
      return await work(client, opened);
    } finally {
      lock.release();
    }
  } catch (error) {
    throw imapError(error, mailbox);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

export interface Address {
  name?: string;
  address?: string;
}

/** Addresses as IMAP and mailparser give them, without empty names. */
export function addresses(list: readonly Address[] | undefined): Address[] {
  return (list ?? []).map((a) => ({ ...(a.name ? { name: a.name } : {}), address: a.address ?? '' }));
}

export const ADDRESS_LIST: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'Display name' },
      address: { type: 'string', description: 'Email address' },
    },
  },
};

/** A date as ISO 8601, or undefined when the message carries none or an unreadable one. */
export function isoDate(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
