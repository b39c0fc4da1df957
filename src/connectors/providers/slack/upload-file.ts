import { defineAction } from '../../sdk.js';
import { slackClient, slackFailure } from './api.js';

interface Input {
  filename: string;
  contentBase64?: string;
  content?: string;
  channel?: string;
  title?: string;
  initialComment?: string;
  threadTs?: string;
  altText?: string;
  snippetType?: string;
}

interface Completed {
  files?: { id: string; title?: string; name?: string; permalink?: string }[];
}

/** The file travels base64 in a JSON body: about 37 MB of file. */
const MAX_BASE64 = 50 * 1024 * 1024;

export const uploadFile = defineAction<Input>({
  name: 'uploadFile',
  description:
    'Upload a file (files.getUploadURLExternal → POST to the upload URL → files.completeUploadExternal), optionally sharing it in a channel',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      filename: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'File name with its extension (Slack picks the file type from it)',
      },
      contentBase64: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_BASE64,
        pattern: '^[A-Za-z0-9+/]*={0,2}$',
        contentEncoding: 'base64',
        description: 'File content, base64',
      },
      content: { type: 'string', minLength: 1, maxLength: 1_000_000, description: 'File content as text' },
      channel: {
        type: 'string',
        pattern: '^[CGD][A-Z0-9]{2,}$',
        description: 'Channel id (C…) to share the file in; without it the file stays private to the bot',
      },
      title: { type: 'string', maxLength: 255, description: 'Title (default: the file name)' },
      initialComment: {
        type: 'string',
        maxLength: 40000,
        description: 'Message introducing the file in the channel',
      },
      threadTs: { type: 'string', description: "Share as a reply in the thread of this message's ts" },
      altText: { type: 'string', maxLength: 1000, description: 'Description of an image for screen readers' },
      snippetType: {
        type: 'string',
        maxLength: 50,
        description: 'Syntax type of a snippet (python, json, …)',
      },
    },
    required: ['filename'],
    oneOf: [{ required: ['contentBase64'] }, { required: ['content'] }],
    dependentRequired: { initialComment: ['channel'], threadTs: ['channel'] },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      files: {
        type: 'array',
        description: 'The uploaded file as Slack completed it',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', description: 'File id (F…)' },
            title: { type: 'string', description: 'Title' },
          },
        },
      },
      bytes: { type: 'integer', description: 'Bytes uploaded' },
    },
  },
  async run(context, input) {
    // Always bytes: the SDK reads a *string* `file` as a local path, which must never happen here.
    const data =
      input.contentBase64 !== undefined
        ? Buffer.from(input.contentBase64, 'base64')
        : Buffer.from(input.content ?? '', 'utf8');
    try {
      const answer = await slackClient(context).filesUploadV2({
        file: data,
        filename: input.filename,
        title: input.title,
        alt_text: input.altText,
        snippet_type: input.snippetType,
        ...(input.channel
          ? { channel_id: input.channel, initial_comment: input.initialComment, thread_ts: input.threadTs }
          : {}),
      } as Parameters<ReturnType<typeof slackClient>['filesUploadV2']>[0]);
      const completions = (answer as unknown as { files: Completed[] }).files;
      return { files: completions.flatMap((completion) => completion.files ?? []), bytes: data.length };
    } catch (error) {
      throw slackFailure(error);
    }
  },
});
