/**
 * The googleapis clients (`@googleapis/gmail`, `@googleapis/drive`) over our transport: the SDK builds
 * each request (path, query, JSON or multipart/related media body, alt=media) and gaxios hands it to
 * the `adapter` below instead of fetching, so it goes out through `context.http` with the SSRF guard,
 * rate limits, execution recording and Google's error mapping (`googleCall`).
 *
 * Auth: the clients get no `auth`. A google-auth-library client would keep its own token and refresh
 * it itself (also on 401), outside our refresh lock and sealed storage; `context.http` instead adds
 * the connection's bearer token (OAuth2 refresh token, or service-account JWT bearer with `sub`) and
 * refreshes once on a 401. gaxios' own retries are off: the runner retries, honouring Retry-After.
 */
import { buffer } from 'node:stream/consumers';
import type { MethodOptions } from '@googleapis/drive';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext } from '../../sdk.js';
import { googleCall } from './api.js';

type Adapter = NonNullable<MethodOptions['adapter']>;
type Prepared = Parameters<Adapter>[0];

function adapter(context: ActionContext, displayName: string): Adapter {
  return (async (prepared: Prepared) => {
    const headers: Record<string, string> = {};
    prepared.headers.forEach((value, name) => {
      headers[name] = value;
    });
    // the SDK asks for gzip, which context.http (undici.request) would hand over undecoded
    delete headers['accept-encoding'];
    // JSON comes as a string, media as a multipart stream: read into bytes so a send repeated after a
    // token refresh carries the same body
    const body = prepared.body;
    const response = await googleCall(context, displayName, {
      method: prepared.method ?? 'GET',
      url: prepared.url.href,
      headers,
      body:
        body === undefined || typeof body === 'string' ? body : await buffer(body as NodeJS.ReadableStream),
      responseType: prepared.responseType === 'arraybuffer' ? 'buffer' : 'auto',
    });
    return Object.assign(new Response(null, { status: response.status, headers: response.headers }), {
      config: prepared,
      data: response.data,
    });
  }) as Adapter;
}

/**
 * Runs one SDK call with per-call options: `rootUrl` per call (googleapis-common builds media upload
 * URLs from the per-call root only, and keeps a path prefix of the root) and our adapter. gaxios wraps
 * what the adapter throws in a GaxiosError; the KryonixError inside is the mapped provider failure.
 */
export async function sdkCall<Api, R>(
  context: ActionContext,
  displayName: string,
  rootUrl: string,
  api: Api,
  send: (api: Api, options: MethodOptions) => Promise<R>,
): Promise<R> {
  try {
    return await send(api, { rootUrl, adapter: adapter(context, displayName), retry: false });
  } catch (error) {
    const cause = (error as Error).cause;
    throw cause instanceof KryonixError ? cause : error;
  }
}

/** googleapis-common hands response headers back as a plain object (typed as Headers). */
export function responseHeader(response: { headers: unknown }, name: string): string | undefined {
  return (response.headers as Record<string, string | undefined>)[name];
}
