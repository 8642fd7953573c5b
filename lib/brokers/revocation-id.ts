/** The longest user or session id a `revoke` message carries. */
export const MAX_REVOCATION_ID_LENGTH = 1024;

/** Whether `value` can be the id of a `revoke` message: a non-empty string of at most 1024 characters. */
export function isRevocationId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REVOCATION_ID_LENGTH;
}
