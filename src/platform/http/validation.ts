/**
 * Fastify's validator, configured so that input is checked, not silently repaired: bodies are never
 * coerced and unknown fields are rejected (Fastify's default ajv removes them); only the query string,
 * params and headers, which arrive as text, are coerced to their declared types.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function createAjv(coerceTypes: boolean | 'array') {
  const ajv = new Ajv.default({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = createAjv(false);
const textAjv = createAjv('array');

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
