/**
 * A `Retry-After` header's value in milliseconds from `now`: either
 * delay-seconds (`"120"`, ASCII digits) or an HTTP date
 * (`"Wed, 21 Oct 2026 07:28:00 GMT"`; a date in the past gives 0).
 * `undefined` when the header is missing or is neither.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^[0-9]+$/.test(text)) return Number.parseInt(text, 10) * 1000;
  // An HTTP date (IMF-fixdate, RFC 850 or asctime) starts with its weekday; Date.parse would also take "1.5".
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  // HTTP dates are in GMT; asctime has no zone, and Date.parse reads a zone-less date as local time.
  const at = Date.parse(/(GMT|UTC|UT|Z|[+-]\d{4})$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
