/**
 * The seed's APITester: compose a raw call through the gateway (POST /api/v1/connections/:id/execute) or
 * run one of the connector's actions with a form generated from its input schema
 * (POST /api/v1/connections/:id/actions/:name); see status, timing, cache status, headers and body, and
 * try a transform pipeline on the response body.
 */
import { type FormEvent, type ReactNode, useState } from 'react';
import { ADMIN, ApiError, api, request } from '../api';
import { useAction, useLoad } from '../hooks';
import { t } from '../i18n';
import { Link } from '../router';
import type { CallResult, Connector } from '../types';
import { PipelineResult, usePipeline } from './Pipeline';
import { SchemaForm } from './SchemaForm';
import { compact, hasInvalidJson, type Value } from './schema';
import { Badge, Card, ErrorBox, Field, formatMs, Json, Loading } from './ui';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** Headers the platform itself adds to the gateway's answer (not the upstream's). */
const GATEWAY_HEADERS = /^(x-cache|x-ratelimit-|retry-after|x-request-id)/i;

/** Status, time, cache and retries of one call: the tester's answer and the execution log's detail. */
export function CallSummary({
  status,
  httpStatus,
  durationMs,
  cache,
  retries,
  children,
}: {
  status: string;
  httpStatus: number | null | undefined;
  durationMs: number | null | undefined;
  cache: string;
  retries?: string | number;
  children?: ReactNode;
}) {
  return (
    <div className="call-summary">
      <Badge value={status} /> <strong>HTTP {httpStatus ?? '—'}</strong>
      <span>{formatMs(durationMs)}</span>
      <span>
        {t('ex.cache')}: {cache}
      </span>
      {retries ? (
        <span>
          {t('ex.retries')}: {retries}
        </span>
      ) : null}
      {children}
    </div>
  );
}

/** What came back, whichever way it was sent. */
interface Outcome {
  status: 'success' | 'error';
  httpStatus: number | null;
  /** Measured by the platform (upstream and connector work). */
  executionTime: number | null;
  /** Measured here: the whole round trip through the platform. */
  roundTripMs: number;
  cache: string;
  retries?: number;
  executionId?: string;
  error?: { code?: string; message: string };
  gatewayHeaders: Record<string, string>;
  headers: unknown;
  body: unknown;
}

/** What a form's send returns; the tester adds the rest. */
type Answer = Omit<Outcome, 'gatewayHeaders' | 'roundTripMs'>;
type Send = (run: (onHeaders: (headers: Headers) => void) => Promise<Answer>) => Promise<void>;

function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(t('call.invalidJson', { what, problem: (error as Error).message }));
  }
}

function gatewayHeadersOf(headers: Headers | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  headers?.forEach((value, name) => {
    if (GATEWAY_HEADERS.test(name)) out[name] = value;
  });
  return out;
}

export function ApiTester({
  connectionId,
  connectorId,
  onExecuted,
}: {
  connectionId: string;
  connectorId: string;
  onExecuted?: () => void;
}) {
  const connector = useLoad(
    (signal) =>
      api.get<Connector>(`${ADMIN}/connectors/${encodeURIComponent(connectorId)}`, undefined, signal),
    [connectorId],
  );
  const actions = connector.data?.actions ?? [];
  const [mode, setMode] = useState<'call' | 'action'>('call');
  const [outcome, setOutcome] = useState<Outcome>();

  const send = useAction(async (run: (onHeaders: (headers: Headers) => void) => Promise<Answer>) => {
    setOutcome(undefined);
    let headers: Headers | undefined;
    const started = performance.now();
    try {
      const result = await run((value) => {
        headers = value;
      });
      setOutcome({
        ...result,
        gatewayHeaders: gatewayHeadersOf(headers),
        roundTripMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      // An action that failed upstream answers a problem document; it is still a result to look at.
      if (!(error instanceof ApiError) || error.status === 0) throw error;
      const executionId = error.problem.executionId;
      setOutcome({
        status: 'error',
        httpStatus: error.status,
        executionTime: null,
        roundTripMs: Math.round(performance.now() - started),
        cache: headers?.get('x-cache') ?? '—',
        executionId: typeof executionId === 'string' ? executionId : undefined,
        error: { code: error.code, message: error.message },
        gatewayHeaders: gatewayHeadersOf(headers),
        headers: {},
        body: error.problem,
      });
    } finally {
      onExecuted?.();
    }
  });

  return (
    <Card
      title={t('call.title')}
      actions={
        actions.length > 0 ? (
          <fieldset className="segmented" aria-label={t('call.mode')}>
            {(['call', 'action'] as const).map((item) => (
              <label key={item} className={item === mode ? 'on' : ''}>
                <input
                  type="radio"
                  name="tester-mode"
                  value={item}
                  checked={item === mode}
                  onChange={() => setMode(item)}
                />
                {item === 'call' ? t('call.modeCall') : t('call.modeAction')}
              </label>
            ))}
          </fieldset>
        ) : undefined
      }
    >
      {mode === 'call' || actions.length === 0 ? (
        <CallForm connectionId={connectionId} busy={send.busy} onSend={send.run} />
      ) : connector.data ? (
        <ActionForm
          connectionId={connectionId}
          connector={connector.data}
          busy={send.busy}
          onSend={send.run}
        />
      ) : (
        <Loading />
      )}
      <ErrorBox error={send.error ?? connector.error} />
      {outcome ? <OutcomeView outcome={outcome} /> : null}
    </Card>
  );
}

function CallForm({ connectionId, busy, onSend }: { connectionId: string; busy: boolean; onSend: Send }) {
  const [method, setMethod] = useState('GET');
  const [endpoint, setEndpoint] = useState('/');
  const [query, setQuery] = useState('');
  const [headers, setHeaders] = useState('');
  const [body, setBody] = useState('');
  const [skipCache, setSkipCache] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void onSend(async (onHeaders) => {
      const payload = {
        method,
        endpoint,
        queryParams: parseJson(query, t('call.query')),
        headers: parseJson(headers, t('call.headers')),
        data: parseJson(body, t('call.body')),
        skipCache: skipCache || undefined,
        triggeredBy: 'dashboard',
      };
      const result = await request<CallResult>('POST', `/api/v1/connections/${connectionId}/execute`, {
        body: payload,
        onHeaders,
      });
      return {
        status: result.status,
        httpStatus: result.statusCode ?? null,
        executionTime: result.executionTime ?? null,
        cache: result.cacheStatus ?? (result.cached ? 'HIT' : 'MISS'),
        retries: result.retries,
        executionId: result.executionId,
        error: result.error ? { code: result.code, message: result.error } : undefined,
        headers: result.headers ?? {},
        body: result.data,
      };
    });
  };
  return (
    <form className="tester" onSubmit={submit} aria-label={t('call.title')}>
      <div className="tester-line">
        <Field label={t('ex.method')} htmlFor="call-method">
          <select id="call-method" value={method} onChange={(event) => setMethod(event.target.value)}>
            {HTTP_METHODS.map((item) => (
              <option key={item}>{item}</option>
            ))}
          </select>
        </Field>
        <Field label={t('call.path')} htmlFor="call-endpoint">
          <input
            id="call-endpoint"
            required
            value={endpoint}
            onChange={(event) => setEndpoint(event.target.value)}
            placeholder="/users?page=1"
          />
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('call.sending') : t('call.send')}
        </button>
      </div>
      <details>
        <summary>{t('call.more')}</summary>
        <div className="grid three">
          <Field label={t('call.query')} htmlFor="call-query">
            <textarea
              id="call-query"
              className="mono"
              rows={4}
              value={query}
              onChange={(event) => setQuery(event.target.value)}
              placeholder='{"page": 1}'
            />
          </Field>
          <Field label={t('call.headers')} htmlFor="call-headers">
            <textarea
              id="call-headers"
              className="mono"
              rows={4}
              value={headers}
              onChange={(event) => setHeaders(event.target.value)}
              placeholder='{"accept": "application/json"}'
            />
          </Field>
          <Field label={t('call.body')} htmlFor="call-body">
            <textarea
              id="call-body"
              className="mono"
              rows={4}
              value={body}
              onChange={(event) => setBody(event.target.value)}
            />
          </Field>
        </div>
        <div className="field checkbox">
          <input
            id="call-skip-cache"
            type="checkbox"
            checked={skipCache}
            onChange={(event) => setSkipCache(event.target.checked)}
          />
          <label htmlFor="call-skip-cache">{t('call.skipCache')}</label>
        </div>
      </details>
    </form>
  );
}

function ActionForm({
  connectionId,
  connector,
  busy,
  onSend,
}: {
  connectionId: string;
  connector: Connector;
  busy: boolean;
  onSend: Send;
}) {
  const [name, setName] = useState(connector.actions[0]?.name ?? '');
  const [input, setInput] = useState<Value>({});
  const action = connector.actions.find((item) => item.name === name);
  const invalid = hasInvalidJson(input);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!action || invalid) return;
    void onSend(async (onHeaders) => {
      const result = await request<{
        status: 'success';
        data: unknown;
        executionId: string;
        executionTime: number;
      }>('POST', `/api/v1/connections/${connectionId}/actions/${encodeURIComponent(action.name)}`, {
        body: (compact(input) as Value | undefined) ?? {},
        onHeaders,
      });
      return {
        status: result.status,
        httpStatus: 200,
        executionTime: result.executionTime,
        cache: '—',
        executionId: result.executionId,
        // An action's output carries whatever of the upstream's answer it exposes.
        headers: undefined,
        body: result.data,
      };
    });
  };
  return (
    <form className="stack" onSubmit={submit} aria-label={t('call.actionForm')}>
      <Field label={t('call.action')} htmlFor="action-name" hint={action?.description}>
        <select
          id="action-name"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            setInput({});
          }}
        >
          {connector.actions.map((item) => (
            <option key={item.name} value={item.name}>
              {item.name}
              {item.classification ? ` (${item.classification})` : ''}
            </option>
          ))}
        </select>
      </Field>
      {action?.input?.properties && Object.keys(action.input.properties).length > 0 ? (
        <fieldset>
          <legend>{t('call.actionInput')}</legend>
          <SchemaForm
            key={action.name}
            schema={action.input}
            value={input}
            onChange={setInput}
            idPrefix="action-input"
          />
        </fieldset>
      ) : (
        <p className="muted">{t('call.noInput')}</p>
      )}
      <div className="form-actions left">
        <button type="submit" className="primary" disabled={busy || invalid || !action}>
          {busy ? t('call.running') : t('call.runAction')}
        </button>
      </div>
    </form>
  );
}

const EXAMPLE_STEPS = '[\n  { "type": "map", "expression": "$" }\n]';

function OutcomeView({ outcome }: { outcome: Outcome }) {
  const pipeline = usePipeline();
  const [steps, setSteps] = useState(EXAMPLE_STEPS);
  return (
    <div className="call-result" data-testid="call-result" aria-live="polite">
      <CallSummary
        status={outcome.status}
        httpStatus={outcome.httpStatus}
        durationMs={outcome.executionTime}
        cache={outcome.gatewayHeaders['x-cache'] ?? outcome.cache}
        retries={outcome.retries}
      >
        <span>{t('call.roundTrip', { time: formatMs(outcome.roundTripMs) })}</span>
        {outcome.executionId ? (
          <Link href={`/executions?id=${outcome.executionId}`}>
            {t('call.execution', { id: outcome.executionId.slice(0, 8) })}
          </Link>
        ) : null}
      </CallSummary>
      {outcome.error ? (
        <p className="bad-text">
          {outcome.error.code ? <code>{outcome.error.code}</code> : null} {outcome.error.message}
        </p>
      ) : null}
      <div className="grid two">
        <div>
          <h3>{t('call.bodyTitle')}</h3>
          <Json value={outcome.body} label={t('ex.responseBody')} />
        </div>
        <div>
          <h3>{t('call.headersTitle')}</h3>
          <Json value={outcome.headers} label={t('ex.responseHeaders')} />
          {Object.keys(outcome.gatewayHeaders).length > 0 ? (
            <>
              <h3>{t('call.gatewayHeaders')}</h3>
              <Json value={outcome.gatewayHeaders} label={t('call.gatewayHeaders')} />
            </>
          ) : null}
        </div>
      </div>
      <details className="transform-response">
        <summary>{t('call.transform')}</summary>
        <form
          className="stack"
          aria-label={t('call.transform')}
          onSubmit={(event) => {
            event.preventDefault();
            void pipeline.run(steps, outcome.body ?? null);
          }}
        >
          <Field label={t('transform.stepsField')} htmlFor="response-steps" hint={t('call.transformHint')}>
            <textarea
              id="response-steps"
              className="mono"
              rows={6}
              spellCheck={false}
              value={steps}
              onChange={(event) => setSteps(event.target.value)}
            />
          </Field>
          <div className="form-actions left">
            <button type="submit" className="primary" disabled={pipeline.busy}>
              {pipeline.busy ? t('transform.running') : t('call.transformRun')}
            </button>
          </div>
        </form>
        <PipelineResult pipeline={pipeline} />
      </details>
    </div>
  );
}
