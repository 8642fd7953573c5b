/**
 * Credentials a URL in an error text may carry (`redis://user:password@host`,
 * `postgres://user:password@host`, `nats://token@host`): never in a log line,
 * a refusal or a status. Greedy up to the last `@` before a space: a password
 * may itself hold `@` or `/`.
 */
const CREDENTIALS = /(\b[a-z][\w+.-]*:\/\/)\S*@/gi;

/**
 * What went wrong, in words, for logs, refusals and `status()`: never with
 * the credentials of a URL in it. Pure.
 *
 * @example
 * reasonOf(new Error('connect to redis://u:secret@db:6379 failed')); // 'connect to redis://***@db:6379 failed'
 */
export function reasonOf(error: unknown): string {
  const { message, name } = (error ?? {}) as { message?: unknown; name?: unknown };
  const reason =
    typeof message === 'string' && message !== '' ? message : typeof name === 'string' ? name : String(error);
  return redactCredentials(reason);
}

/** `text` with the credentials of every URL in it replaced by `***`. Pure. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1***@');
}
