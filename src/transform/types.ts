/** A value that survives JSON.stringify → JSON.parse unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One problem found in a document, named by a JSON Pointer (RFC 6901; '' is the whole document). */
export interface Issue {
  path: string;
  message: string;
}
