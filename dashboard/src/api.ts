/**
 * The one way the dashboard talks to the platform: JSON over fetch with the API key from session
 * storage as `Authorization: Bearer`. Errors arrive as RFC 9457 problem documents and become ApiError.
 */
import { t } from './i18n';

const KEY_STORAGE = 'kryonix.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export interface ProblemIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ProblemIssue[] = [],
    /** The whole problem document, for extensions such as a pipeline's partial `steps`. */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Listeners told when the key is refused, so the app can ask for another one. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  options: {
    body?: unknown;
    query?: Query;
    key?: string;
    signal?: AbortSignal;
    /** Told the response headers, e.g. the gateway's X-Cache and X-RateLimit-* for the API tester. */
    onHeaders?: (headers: Headers) => void;
  } = {},
): Promise<T> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), { method, headers, body, signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', t('ui.networkError'));
  }
  options.onHeaders?.(response.headers);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as {
      code?: string;
      detail?: string;
      title?: string;
      errors?: ProblemIssue[];
    };
    if (response.status === 401 && !options.key) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(
      response.status,
      problem.code ?? `HTTP_${response.status}`,
      problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`,
      problem.errors ?? [],
      problem as Record<string, unknown>,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const ADMIN = '/api/integrations';
