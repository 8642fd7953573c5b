/** The longest `Last-Event-ID` that is taken into account. */
export const MAX_LAST_EVENT_ID_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Node decodes header values as latin1: bytes of a UTF-8 id arrive as one
 * character each. Re-decode when that is what happened.
 */
function fromLatin1(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\uFFFD') ? value : decoded;
}

/** A client-sent last event id, or `undefined` when it is absent, overlong or not printable. */
export function sanitizeLastEventId(value: unknown): string | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LAST_EVENT_ID_LENGTH) {
    return undefined;
  }
  return CONTROL_CHARACTERS.test(value) ? undefined : value;
}

/** What `readLastEventId` reads of a request, whatever the platform. */
export interface LastEventIdSource {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly url?: string;
}

/** The last event id a request carries: the `Last-Event-ID` header, else the `lastEventId` query parameter. */
export function readLastEventId(request: LastEventIdSource): string | undefined {
  const header = request.headers['last-event-id'];
  if (header !== undefined) return sanitizeLastEventId(fromLatin1(String(header)));
  const url = request.url ?? '';
  if (!url.includes('lastEventId=')) return undefined;
  const query = new URL(url, 'http://localhost').searchParams.get('lastEventId');
  return sanitizeLastEventId(query ?? undefined);
}
