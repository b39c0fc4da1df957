/**
 * jsforce's `Connection` over our transport: jsforce builds each REST call (versioned URLs, SOQL query
 * and queryMore, sObject create/retrieve/update/upsert/destroy) and hands it to the `Transport` below
 * instead of its own HTTP client, so it goes out through `context.http` (`sfCall`) with the SSRF guard,
 * retries, execution recording, Sforce-Limit-Info tracking and Salesforce's error mapping; a refused
 * call rejects with the mapped KryonixError, which jsforce passes on untouched.
 *
 * Auth: the Connection gets no access token, OAuth2 client or refresh function, so it neither sets
 * Authorization nor refreshes anything itself; `context.http` adds the connection's bearer token from
 * our shared OAuth2 helpers and gets one new token on a 401.
 */
import { PassThrough } from 'node:stream';
import { Connection } from 'jsforce/lib/connection.js';
import { Transport } from 'jsforce/lib/transport.js';
import type { HttpRequest, HttpResponse } from 'jsforce/lib/types/common.js';
import { StreamPromise } from 'jsforce/lib/util/promise.js';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext } from '../../sdk.js';
import { apiVersion, instanceUrl, sfCall } from './api.js';

class ContextTransport extends Transport {
  constructor(private readonly context: ActionContext) {
    super();
  }

  override httpRequest(req: HttpRequest): StreamPromise<HttpResponse> {
    return StreamPromise.create(() => ({ stream: new PassThrough(), promise: this.send(req) }));
  }

  private async send(req: HttpRequest): Promise<HttpResponse> {
    if (req.body !== undefined && typeof req.body !== 'string')
      throw new KryonixError('KRX_INTERNAL', 'jsforce sent a streamed body; only JSON bodies are sent');
    const headers = { ...req.headers };
    // undici sets it from the body; a stale one would break a send repeated after a token refresh
    delete headers['content-length'];
    const response = await sfCall(this.context, {
      method: req.method,
      url: req.url,
      headers,
      body: req.body,
    });
    const data = response.data as unknown;
    return {
      statusCode: response.status,
      headers: response.headers,
      // jsforce parses the body by content-type itself
      body: data === undefined || data === null ? '' : typeof data === 'string' ? data : JSON.stringify(data),
    };
  }
}

/** A Connection on the org's instance with the pinned API version, sending through `context`. */
export async function salesforceConnection(context: ActionContext): Promise<Connection> {
  const connection = new Connection({
    instanceUrl: await instanceUrl(context),
    version: apiVersion(context),
  });
  // jsforce has no constructor option for a transport; every HttpApi reads this one per request
  connection._transport = new ContextTransport(context);
  return connection;
}
