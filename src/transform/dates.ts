/*
 * Lenient date reading for integrations. JSONata's $toMillis only reads ISO 8601 (or a picture);
 * payloads also carry HTTP/RFC 2822 dates and epoch numbers. Date.parse alone is too lenient
 * ('1' is the year 2001), so strings are only handed to it once they look like one of these forms.
 */

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const RFC_2822 =
  /^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s+(?:GMT|UTC|UT|Z|[+-]\d{4})$/;
const EPOCH_MILLIS = /^-?\d{1,15}$/;

/** Epoch milliseconds for an ISO 8601 / RFC 2822 string or epoch milliseconds; undefined if unreadable. */
export function readDate(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = value.trim();
  if (EPOCH_MILLIS.test(text)) return Number(text);
  if (ISO_DATE.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (ISO_DATE_TIME.test(text)) {
    // A date-time without an offset is UTC here; Date.parse would read it as server-local time.
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
    const millis = Date.parse(hasOffset ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
    return Number.isNaN(millis) ? undefined : millis;
  }
  if (RFC_2822.test(text)) {
    const millis = Date.parse(text);
    return Number.isNaN(millis) ? undefined : millis;
  }
  return undefined;
}
