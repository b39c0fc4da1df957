/** The inbound body as data: JSON, a form, or text; the raw bytes stay what signatures are checked over. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  if (raw.length === 0) return { ok: true, value: null };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false, reason: 'the body is not valid JSON' };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) form[key] = value;
    return { ok: true, value: form };
  }
  // Unlabelled JSON is common (some providers send text/plain): take it when it parses.
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // plain text that merely starts with a bracket
    }
  }
  return { ok: true, value: text };
}
