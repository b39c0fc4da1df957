import { KryonixError } from '../../platform/errors.js';
import { FORMATS, type Format } from './codec.js';

const BY_MEDIA_TYPE: ReadonlyArray<[RegExp, Format]> = [
  [/^application\/(?:[\w.-]+\+)?json$/, 'json'],
  [/^(?:application|text)\/(?:[\w.-]+\+)?xml$/, 'xml'],
  [/^text\/csv$/, 'csv'],
  [/^(?:application|text)\/(?:x-)?yaml$/, 'yaml'],
  [/^application\/x-www-form-urlencoded$/, 'form'],
];

/** The format for a format name (`xml`) or a content type (`application/soap+xml; charset=utf-8`). */
export function resolveFormat(nameOrContentType: string): Format {
  const value = nameOrContentType.trim().toLowerCase();
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  const mediaType = value.split(';')[0].trim();
  const match = BY_MEDIA_TYPE.find(([pattern]) => pattern.test(mediaType));
  if (match) return match[1];
  throw new KryonixError(
    'KRX_UNSUPPORTED_MEDIA_TYPE',
    `No conversion for ${JSON.stringify(nameOrContentType)}; use ${FORMATS.join(', ')} or their content types`,
  );
}
