import type { ActionContext } from '../../sdk.js';
import { defineAction } from '../../sdk.js';
import { missingSetting } from '../shared.js';

interface Input {
  text?: string;
  blocks?: unknown[];
  threadTs?: string;
  unfurlLinks?: boolean;
}

/** The connection's incoming-webhook URL: a secret (it is the credential), kept in `credentials`. */
export function webhookUrlOf(context: ActionContext): string {
  const url = context.credentials.webhookUrl;
  if (typeof url !== 'string' || url === '')
    throw missingSetting('this Slack connection has no incoming-webhook URL (credentials.webhookUrl)');
  return url;
}

/** POSTs a payload to the webhook; Slack answers in plain text (`ok`, or an error code). */
export async function postToWebhook(context: ActionContext, payload: Record<string, unknown>) {
  return context.http<string>({
    method: 'POST',
    url: webhookUrlOf(context),
    auth: false, // the URL is the credential: no bot token goes to it
    body: JSON.stringify(payload),
    headers: { 'content-type': 'application/json; charset=utf-8' },
    responseType: 'text',
  });
}

export const sendWebhook = defineAction<Input>({
  name: 'sendWebhook',
  description: "Post a message through the connection's incoming webhook (text and/or Block Kit blocks)",
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      text: { type: 'string', maxLength: 40000, description: 'Message text (mrkdwn)' },
      blocks: { type: 'array', maxItems: 50, items: { type: 'object' }, description: 'Block Kit blocks' },
      threadTs: { type: 'string', description: "Reply in the thread of this message's ts" },
      unfurlLinks: { type: 'boolean', description: 'Unfurl text links' },
    },
    anyOf: [{ required: ['text'] }, { required: ['blocks'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { ok: { type: 'boolean', description: 'Slack accepted the message' } },
  },
  async run(context, input) {
    const payload: Record<string, unknown> = {};
    if (input.text !== undefined) payload.text = input.text;
    if (input.blocks !== undefined) payload.blocks = input.blocks;
    if (input.threadTs !== undefined) payload.thread_ts = input.threadTs;
    if (input.unfurlLinks !== undefined) payload.unfurl_links = input.unfurlLinks;
    await postToWebhook(context, payload);
    return { ok: true };
  },
});
