import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector } from '../../sdk.js';
import { describeGoogleError } from '../google/api.js';
import { googleAuth } from '../google/auth.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { about } from './about.js';
import { DRIVE, DRIVE_API_URL, driveCall } from './api.js';
import { createFolder } from './create-folder.js';
import { downloadFile } from './download-file.js';
import { getFile } from './get-file.js';
import { listFiles } from './list-files.js';
import { uploadFile } from './upload-file.js';

export const googleDriveConnector = defineConnector({
  id: 'google-drive',
  version: '1.0.0',
  displayName: DRIVE,
  description:
    'Google Drive API v3: list with queries and paging, upload (multipart or resumable), download, folders, about.',
  type: 'rest',
  category: 'storage',
  provider: 'Google',
  docsUrl: 'https://developers.google.com/drive/api/reference/rest/v3',
  config: {
    type: 'object',
    properties: {
      apiUrl: urlField('API root (files, about and uploads live under it)', DRIVE_API_URL),
      ...RUNNER_SETTINGS,
    },
    additionalProperties: false,
  },
  auth: {
    oneOf: [
      googleAuth(
        AUTH_METHODS.oauth2RefreshToken,
        'A user consented (OAuth2 refresh token)',
        'https://www.googleapis.com/auth/drive.file',
      ),
      googleAuth(
        AUTH_METHODS.jwtBearer,
        'A service account (its own Drive, or a user with domain-wide delegation as subject)',
        'https://www.googleapis.com/auth/drive',
      ),
    ],
  },
  describeError: describeGoogleError,
  actions: [listFiles, uploadFile, getFile, downloadFile, createFolder, about],
  async test(context) {
    const response = await driveCall(context, (drive, options) =>
      drive.about.get({ fields: 'user' }, options),
    );
    return {
      ok: true,
      message: `Drive answers for ${response.data.user?.emailAddress ?? 'the account'}`,
      details: { user: response.data.user?.emailAddress },
    };
  },
});
