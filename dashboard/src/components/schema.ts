/** The part of JSON Schema the connector forms understand, and helpers over it. */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  writeOnly?: boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

export type Value = Record<string, unknown>;

/** Placed where a JSON text field does not parse, so the form refuses to submit. */
export const INVALID_JSON = Object.freeze({ invalidJson: true });

export function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((type) => type !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.enum) return 'enum';
  return undefined;
}

/** A oneOf whose variants each fix a `type` (the auth schemas): the variant chosen by that value. */
export function discriminatedVariants(
  schema: JsonSchema,
): { key: string; value: string; schema: JsonSchema }[] | null {
  const variants = schema.oneOf ?? schema.anyOf;
  if (!variants || variants.length === 0) return null;
  const key = 'type';
  const result: { key: string; value: string; schema: JsonSchema }[] = [];
  for (const variant of variants) {
    const fixed = variant.properties?.[key]?.const;
    if (typeof fixed !== 'string') return null;
    result.push({ key, value: fixed, schema: variant });
  }
  return result;
}

export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return (
    words.charAt(0).toUpperCase() +
    words
      .slice(1)
      .replace(/\burl\b/g, 'URL')
      .replace(/\bms\b/g, '(ms)')
  );
}

/** Drops empty strings and empty objects, so optional fields left blank are not sent. */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object' && value !== INVALID_JSON) {
    const out: Value = {};
    for (const [key, item] of Object.entries(value)) {
      const cleaned = compact(item);
      if (cleaned === undefined || cleaned === '') continue;
      out[key] = cleaned;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}

export function hasInvalidJson(value: unknown): boolean {
  if (value === INVALID_JSON) return true;
  if (value && typeof value === 'object') return Object.values(value).some(hasInvalidJson);
  return false;
}

/** The schema actually in force for a value: the chosen variant of a discriminated oneOf. */
export function effectiveSchema(schema: JsonSchema, value: Value | undefined): JsonSchema {
  const variants = discriminatedVariants(schema);
  if (!variants) return schema;
  const chosen = variants.find((variant) => variant.value === value?.[variant.key]) ?? variants[0];
  return chosen.schema;
}

/**
 * Splits an auth value into its non-secret settings and its secrets (`writeOnly` fields), the way the
 * connections API takes them: `authConfig` is stored readable, `credentials` sealed and never returned.
 */
export function splitSecrets(schema: JsonSchema, value: Value): { settings: Value; secrets: Value } {
  const properties = effectiveSchema(schema, value).properties ?? {};
  const settings: Value = {};
  const secrets: Value = {};
  for (const [key, item] of Object.entries(value)) {
    if (properties[key]?.writeOnly || properties[key]?.format === 'password') secrets[key] = item;
    else settings[key] = item;
  }
  return { settings, secrets };
}
