import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { KryonixError } from '../../platform/errors.js';
import type { TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';
import { type ConvertOptions, formatInvalid, type TextCodec } from './codec.js';

/*
 * Entity expansion and external entities are the XML attack surface (billion laughs, XXE), so any
 * document declaring a DOCTYPE or ENTITY is refused outright and the parser's entity processing is
 * off. The five predefined entities and character references cannot expand or reach outside the
 * document, so we decode those ourselves to keep `&amp;` meaning "&".
 */
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;
const PREDEFINED_ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const ENTITY_TEXT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_NAME = /^[A-Za-z_][\w.:-]*$/;

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(PREDEFINED_ENTITY, (whole, name?: string, decimal?: string, hex?: string) => {
    if (name) return ENTITY_TEXT[name];
    const codePoint = Number.parseInt(decimal ?? hex ?? '', decimal ? 10 : 16);
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
  });
}

function prefixOf(options: ConvertOptions): string {
  return options.attributePrefix ?? '@_';
}

function decode(text: string, options: ConvertOptions, limits: TransformLimits): JsonValue {
  if (DECLARATION.test(text)) {
    throw formatInvalid(
      'xml',
      'DOCTYPE and ENTITY declarations are refused (entity expansion and external entities are disabled)',
    );
  }
  const wellFormed = XMLValidator.validate(text);
  if (wellFormed !== true) {
    throw formatInvalid(
      'xml',
      `${wellFormed.err.msg} (line ${wellFormed.err.line}, column ${wellFormed.err.col})`,
    );
  }
  const parseValues = options.parseValues ?? false;
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: prefixOf(options),
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    parseTagValue: parseValues,
    parseAttributeValue: parseValues,
    maxNestedTags: limits.maxDepth,
    tagValueProcessor: (_name, value) => decodeEntities(value),
    attributeValueProcessor: (_name, value) => decodeEntities(value),
  });
  try {
    return parser.parse(text) as JsonValue;
  } catch (error) {
    // The nesting bound is a limit like every other format's, not a malformed document.
    if ((error as Error).message === 'Maximum nested tags exceeded')
      throw new KryonixError(
        'KRX_LIMIT_EXCEEDED',
        `The XML is nested deeper than ${limits.maxDepth} levels`,
        {
          cause: error,
        },
      );
    throw formatInvalid('xml', (error as Error).message, error);
  }
}

/** One root element: a single-key object is its own root, anything else is wrapped in `rootName`. */
function rooted(value: JsonValue, options: ConvertOptions): Record<string, JsonValue> {
  const rootName = options.rootName ?? 'root';
  if (Array.isArray(value)) return { [rootName]: { [options.itemName ?? 'item']: value } };
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && !Array.isArray(value[keys[0]])) return value;
  }
  return { [rootName]: value };
}

function assertElementNames(value: JsonValue, options: ConvertOptions): void {
  const prefix = prefixOf(options);
  const pending: JsonValue[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      pending.push(...node);
      continue;
    }
    for (const [key, member] of Object.entries(node)) {
      const name = key.startsWith(prefix) ? key.slice(prefix.length) : key;
      if (key !== '#text' && !XML_NAME.test(name))
        throw formatInvalid('xml', `"${key}" is not a valid XML name`);
      pending.push(member);
    }
  }
}

function encode(value: JsonValue, options: ConvertOptions, limits: TransformLimits): string {
  const document = rooted(value, options);
  assertElementNames(document, options);
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: prefixOf(options),
    format: false,
    processEntities: true,
    suppressEmptyNode: false,
    maxNestedTags: limits.maxDepth + 1,
  });
  return builder.build(document) as string;
}

export const xmlCodec: TextCodec = { decode, encode };
