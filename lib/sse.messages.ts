import { MAX_REVOCATION_ID_LENGTH } from './brokers/revocation-id.js';

/** Every text the library logs or throws, in one place. Each names the bad value and the fix. */
export const SSE_MESSAGES = {
  brokerStatusFailed: (error: unknown) =>
    `The broker's status() threw: ${error instanceof Error ? error.message : String(error)}.`,
  invalidOption: (option: string, value: unknown, expected: string) =>
    `nestjs-event-stream: option "${option}" must be ${expected}, got ${formatValue(value)}.`,
  moduleNotImported: () =>
    'nestjs-event-stream: @EventStream() is used but SseModule is not imported. Add SseModule.forRoot() to the imports of your root module.',
  clientOutsideStream: () =>
    'nestjs-event-stream: @SseClient() can only be used on a route decorated with @EventStream().',
  invalidHandlerResult: (handler: string, value: unknown) =>
    `nestjs-event-stream: ${handler} returned ${formatValue(value)}. An @EventStream() handler returns an Observable, a Promise of one, an AsyncIterable, or null/undefined to answer 204 No Content.`,
  messageEventShape: (route: string) =>
    `${route} emitted a value shaped like Nest's MessageEvent ({ data, type, id, retry }); it is sent as the JSON data of a plain message. To write it as @Sse() does (type as the event name, id, retry), set { messageEvents: true } in @EventStream() or SseModule.forRoot(); set messageEvents: false to keep the data behaviour without this warning.`,
  frameSkipped: (connectionId: string, message: string) =>
    `Stream ${connectionId}: a value was not written: ${message}`,
  streamFailed: (connectionId: string) =>
    `Stream ${connectionId} failed after it started; ended it with the final word "error".`,
  catchUpFailed: (connectionId: string, error: unknown) =>
    `Stream ${connectionId}: could not read the history it missed (${errorMessage(error)}); ended it, so that the client resumes from its last event id.`,
  unsubscribeFailed: (channel: string, error: unknown) =>
    `Could not unsubscribe from channel ${channel}: ${errorMessage(error)}`,
  shuttingDown: () => 'The server is shutting down; reconnect shortly.',
  closeCallbackFailed: (connectionId: string) => `Stream ${connectionId}: a close callback threw`,
  deadlineFailed: (connectionId: string, reason: string) =>
    `Stream ${connectionId}: could not send its final word (${reason}); closing it.`,
  unsupportedResponse: (response: unknown) =>
    `nestjs-event-stream: the platform handed the route a response of type ${formatValue(response)}, which no stream transport serves. @EventStream() runs on @nestjs/platform-express and @nestjs/platform-fastify (a Node http.ServerResponse or Http2ServerResponse, or a Fastify reply around one).`,
  tooManyConnections: (limit: number) =>
    `This server holds its maximum of ${limit} event streams (maxConnections); retry later.`,
  tooManyAddressConnections: (limit: number) =>
    `This address already has ${limit} open anonymous event streams (maxAnonymousConnectionsPerAddress); close one, or sign in.`,
  tooManyUserConnections: (limit: number) =>
    `This user already has ${limit} open event streams (maxConnectionsPerUser); close one, or share one stream between tabs.`,
  hubAssignsIds: () =>
    'nestjs-event-stream: SseHub assigns event ids itself; remove `id` from the event passed to the hub.',
  invalidRevocation: (value: unknown) =>
    `nestjs-event-stream: SseHub.revoke() takes { userId } or { sessionId } (one string or number of 1 to ${MAX_REVOCATION_ID_LENGTH} characters), got ${formatValue(value)}.`,
  deprecatedEventName: (option: string) =>
    `Option "${option}" is deprecated: every stream the server ends now sends one final word named by "endEventName" (default 'sse-end'), whose data says why ({"reason":...}). It still names this one final word; remove it to use the common name (see docs/lifecycle.md).`,
  streamRevoked: (target: string, count: number) =>
    `A ${target} was revoked: ended ${count} stream${count === 1 ? '' : 's'} of this instance with the final word "revoked".`,
  invalidJoinAfter: (value: unknown) =>
    `nestjs-event-stream: SseHub.join() option "after" and SseHub.whenDelivered() take an event id of the hub (<epoch>.<seq>), got ${formatValue(value)}.`,
  joinWithoutClient: (value: unknown) =>
    `nestjs-event-stream: SseHub.join() needs the client from @SseClient(), got ${formatValue(value)}.`,
  channelForbidden: (channel: string) => `Not allowed to join channel ${JSON.stringify(channel)}.`,
  slowClient: (connectionId: string, bytes: number, limit: number) =>
    `Stream ${connectionId} closed: ${bytes} bytes waiting to be sent exceed maxBufferedBytes (${limit}); the client is not reading.`,
  authTokenMissing: () => 'A token is required to open this event stream.',
  authTokenInvalid: () => 'The token is invalid or has expired.',
  authRefused: (why: string) => `Refused an event stream with 401: ${why}.`,
  authVerifyAndVerifier: () =>
    'nestjs-event-stream: options "auth.verify" and "auth.verifier" are both set. Set one: a function as auth.verify, or a class or instance as auth.verifier.',
  authNoVerifier: (where: string) =>
    `nestjs-event-stream: ${where} needs a token verifier. Set auth.verify (a function) or auth.verifier (a class or instance implementing SseTokenVerifier) in SseModule.forRoot(), or override verifyToken() in a subclass.`,
  authModuleNotImported: (guard: string) =>
    `nestjs-event-stream: ${guard} is used but SseModule is not imported. Add SseModule.forRoot({ auth: { verify } }) to the imports of your root module.`,
  authVerifyFailed: (message: string) => `The token verifier threw; the stream was refused with 401: ${message}`,
  authInvalidExpiry: () =>
    'The token verifier returned an expiresAt that is neither a valid Date nor a number of ms since the epoch; the stream was refused with 401.',
  authCanJoinFailed: (channel: string, connectionId: string, message: string) =>
    `auth.canJoin threw for channel ${JSON.stringify(channel)} (stream ${connectionId}); the channel is denied: ${message}`,
  authClassUnresolved: (option: string, name: string, message: string) =>
    `nestjs-event-stream: could not resolve ${name} (option "auth.${option}"): ${message} Register ${name} as a provider in a module that has its dependencies, or list those modules in the imports of SseModule.forRootAsync().`,
  authStreamExpired: (connectionId: string) => `Stream ${connectionId} ended: its credential expired.`,
  authExpiredBeforeOpen: () => 'The token expired before the event stream opened. Reconnect with a fresh token.',
  authExpiredBeforeOpenLog: (connectionId: string) =>
    `Stream ${connectionId} was refused with 401: its credential expired while the stream was being set up (before its headers were sent).`,
  authSourceNotAllowed: (source: string, method: string, instead: string) =>
    `The token in ${source} was ignored: a ${method} event stream is not authenticated by a cookie or a URL (a cross-site form or a logged URL could carry them). Send the token in ${instead} instead.`,
  authCookieOriginNotAllowed: (source: string, method: string, instead: string) =>
    `The token in ${source} was ignored: a ${method} event stream from this origin is not authenticated by a cookie (auth.allowCookieOnPost does not list it). Send the token in ${instead} instead.`,
  authNoHeaderSource: () => "an Authorization: Bearer header (the server must list 'header' in auth.from)",
  authJwtRefused: (why: string) => `Token refused: ${why}`,
  authJwtNoExp: () =>
    'it has no exp claim, so it would never expire (requireExp). Issue tokens with an expiry, or set requireExp: false to accept such tokens.',
  authJwtBadSub: (sub: unknown) =>
    `its sub claim is ${formatValue(sub)}, not a string or a number. Issue tokens whose sub is the user id as a string.`,
  authJwtCrit: () =>
    'its header has a crit parameter; this verifier understands no JWS extension, so it refuses every token that lists some (RFC 7515, section 4.1.11).',
  authJwtBadHeader: () => 'its header is not a base64url-encoded JSON object.',
  authJwtAlgorithmNotAllowed: (alg: unknown, allowed: readonly string[]) =>
    `it is signed with ${formatValue(alg)}, which is not one of the allowed algorithms (${allowed.join(', ')}).`,
  authJwtNoKeyFor: (alg: string, key: string) =>
    `it is signed with ${alg}, and the verifier has no "${key}" for it (a key of the JwtService is never used when the verifier has one of its own).`,
  authJwtOption: (option: string, expected: string, value: unknown) =>
    `nestjs-event-stream: JwtTokenVerifier option "${option}" must be ${expected}, got ${formatValue(value)}.`,
  optionalPackageMissing: (name: string, feature: string) =>
    `nestjs-event-stream: ${feature} needs the optional package ${name}, which is not installed. Run \`npm install ${name}\`.`,
  scheduleNotInstalled: (feature: string) =>
    `nestjs-event-stream: ${feature} needs @nestjs/schedule, which is not installed. Run \`npm install @nestjs/schedule\` and add ScheduleModule.forRoot() to the imports of your root module.`,
  scheduleModuleNotImported: (feature: string) =>
    `nestjs-event-stream: ${feature} needs ScheduleModule.forRoot() from @nestjs/schedule. Add it to the imports of your root module.`,
  broadcastWithoutTrigger: (method: string) =>
    `nestjs-event-stream: @Broadcast() on ${method} has no schedule. Add @Interval(), @Cron() or @Timeout() from @nestjs/schedule to the same method, or publish with SseHub.publish() yourself.`,
  broadcastNotOnMethod: (member: string) =>
    `nestjs-event-stream: @Broadcast() can only decorate a method; ${member} is not one.`,
  broadcastTwice: (method: string) =>
    `nestjs-event-stream: @Broadcast() is used twice on ${method}. Use it once, and publish to other channels from the method with SseHub.publish().`,
  scheduledBroadcastFailed: (job: string, channel: string, error: unknown) =>
    `Scheduled broadcast "${job}" (channel ${JSON.stringify(channel)}) failed: ${errorMessage(error)}. The job keeps running.`,
  scheduledTickSkipped: (job: string) =>
    `Scheduled broadcast "${job}": the previous run has not finished; this tick is skipped.`,
  scheduleLockFailed: (job: string, error: unknown) =>
    `Scheduled broadcast "${job}": the schedule lock failed (${errorMessage(error)}); this tick is skipped.`,
  scheduledBroadcastUnavailable: (job: string, channel: string, error: unknown) =>
    `Scheduled broadcast "${job}" (channel ${JSON.stringify(channel)}) cannot reach the hub's broker: ${errorMessage(error)}. Its ticks fail until the broker is back; this is logged once, and again when it is back.`,
  scheduledBroadcastRecovered: (job: string, channel: string, failed: number, seconds: number) =>
    `Scheduled broadcast "${job}" (channel ${JSON.stringify(channel)}) runs again: ${failed} ${failed === 1 ? 'tick' : 'ticks'} failed over ${seconds.toFixed(1)} s while the hub's broker was unavailable.`,
  invalidSchedule: (name: string, option: string, value: unknown, expected: string) =>
    `nestjs-event-stream: SseScheduler.schedule(${JSON.stringify(name)}): ${option} must be ${expected}, got ${formatValue(value)}.`,
  invalidCron: (name: string, expression: string, error: unknown) =>
    `nestjs-event-stream: SseScheduler.schedule(${JSON.stringify(name)}): ${JSON.stringify(expression)} is not a valid cron expression (${errorMessage(error)}).`,
  duplicateSchedule: (name: string) =>
    `nestjs-event-stream: a scheduled job named ${JSON.stringify(name)} already exists. Choose another name, or remove it first with SseScheduler.unschedule() or SchedulerRegistry.`,
  scheduleAfterShutdown: (name: string) =>
    `nestjs-event-stream: SseScheduler.schedule(${JSON.stringify(name)}) was called after the app began shutting down; the job is not scheduled.`,
  invalidIdempotencyKey: (where: string, value: unknown) =>
    `nestjs-event-stream: ${where}: idempotencyKey must be a string of 1 to 200 printable ASCII characters (space to ~), got ${formatValue(value)}. Use a request id or a hash of what makes the publish unique.`,
  ticketRefused: () =>
    'The ticket is unknown, was already used or has expired: a ticket opens one stream, once. Ask for a new ticket and connect again.',
  ticketMissing: (parameter: string) =>
    `A ticket is required to open this event stream: ask for one and send it as the ${parameter} query parameter.`,
  ticketRefusedLog: () => 'a ticket that is malformed, unknown, used or expired',
  ticketsOff: (where: string) =>
    `nestjs-event-stream: ${where} needs stream tickets, which are off. Set auth.tickets in SseModule.forRoot(), e.g. { auth: { verify, tickets: {} } }.`,
  ticketQueryTaken: (name: string) =>
    `nestjs-event-stream: option "auth.tickets.query" is ${JSON.stringify(name)}, which auth.from also reads a token from ('query:${name}'). Give tickets a query parameter of their own.`,
  ticketNoUser: (value: unknown) =>
    `nestjs-event-stream: SseTickets.issue() needs the user the ticket is for (what request.user is on the stream it opens), got ${formatValue(value)}.`,
  ticketUserNotJson: (reason: string) =>
    `nestjs-event-stream: SseTickets.issue(): the user must be JSON-serialisable, because tickets are stored as JSON (in Redis, too): ${reason}. Pass a plain object such as { id, roles }, and load anything else in canJoin or in the handler.`,
  ticketUserTooLarge: (bytes: number, max: number) =>
    `nestjs-event-stream: SseTickets.issue(): the user is ${bytes} bytes of JSON, more than the ${max} a ticket holds. Pass only what the stream needs, such as { id, roles }.`,
  ticketInvalidExpiry: (value: unknown) =>
    `nestjs-event-stream: SseTickets.issue(): expiresAt must be a valid Date or a number of ms since the epoch, got ${formatValue(value)}.`,
  ticketCredentialExpired: () => 'The credential has expired: no ticket is issued for it. Sign in again.',
  ticketStoreFailed: (operation: string, message: string) =>
    `The ticket store could not ${operation}; the request was answered 503: ${message}`,
  ticketStoreUnavailable: () => 'Service temporarily unavailable. Ask for a new ticket and retry shortly.',
  ticketRecordUnreadable: () =>
    'A record of the ticket store is not one SseTickets wrote (does another program write under its keys?); the ticket was refused with 401.',
  redisTicketStoreSources: () =>
    "nestjs-event-stream: RedisSseTicketStore takes one of `broker` (it shares its connection), `client` (yours) or `url` with `redisOptions` (it opens its own), not several; `commandTimeoutMs` is the broker's own with `broker`.",
  redisTicketUnavailable: (operation: string, target: string, reason: string) =>
    `RedisSseTicketStore: Redis at ${target} is unavailable or did not answer (${reason}); could not ${operation}. Requests that need a ticket are answered 503, without these details, until it answers again (logged once per outage).`,
  redisTicketClosed: (operation: string) =>
    `nestjs-event-stream: RedisSseTicketStore cannot ${operation}: it was closed (the app is shutting down).`,
  redisTicketRecovered: (target: string) => `RedisSseTicketStore: Redis at ${target} answers again.`,
  redisTicketRefused: (operation: string, reason: string) =>
    `nestjs-event-stream: RedisSseTicketStore could not ${operation}: Redis answered ${reason}. It needs Redis 6.2 or newer (GETDEL), and a user that may run SET and GETDEL on its key prefix.`,
  redisTicketArgument: (what: string, value: unknown) =>
    `nestjs-event-stream: RedisSseTicketStore: ${what}, got ${formatValue(value)}.`,
  instrumentationFailed: (method: string) =>
    `An SseInstrumentation observer threw in ${method}(); it is skipped for this call (keep observers to a histogram's observe()).`,
} as const;

/** The message of an error, or the thrown value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A short description of a value for a message: its type and, for primitives, its value (long strings cut). */
export function formatValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `an instance of ${name}` : 'a plain object';
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  return `${typeof value} ${String(value)}`;
}
