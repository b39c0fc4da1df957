/** JSON Schema fragments shared by the admin routes. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem document',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: true,
} as const;

export const uuid = { type: 'string', format: 'uuid' } as const;

export const idParams = {
  type: 'object',
  properties: { id: uuid },
  required: ['id'],
  additionalProperties: false,
} as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Page size' },
  cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page' },
} as const;

export function pageOf(item: object) {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } },
    required: ['items', 'nextCursor'],
  } as const;
}

/** Error responses every authenticated route can give. */
export const errorResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  403: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
} as const;

export const freeObject = { type: 'object', additionalProperties: true } as const;
