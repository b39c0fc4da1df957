import { defineAction } from '../../sdk.js';
import { driveCall } from './api.js';

export const about = defineAction<{ fields?: string }>({
  name: 'about',
  description: 'The user and storage quota (about.get; Drive requires fields)',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      fields: {
        type: 'string',
        minLength: 1,
        maxLength: 1000,
        default: 'user, storageQuota',
        description: 'Fields to read',
      },
    },
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The about resource' },
  async run(context, input) {
    const response = await driveCall(context, (drive, options) =>
      drive.about.get({ fields: input.fields ?? 'user, storageQuota' }, options),
    );
    return response.data;
  },
});
