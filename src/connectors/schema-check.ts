import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const ajv = new Ajv2020.default({ allErrors: true, strict: false });
addFormats.default(ajv);

export function checkAgainstSchema(schema: object, value: unknown, prefix: string) {
  const validate = ajv.compile(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => ({
    path: `${prefix}${e.instancePath}`,
    message: e.message ?? 'invalid',
  }));
}
