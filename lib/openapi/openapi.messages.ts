/** Every text `nestjs-event-stream/openapi` throws, in one place. Each names the bad value and the fix. */
export const OPENAPI_MESSAGES = {
  notAMethod: (where: string) => `${where} must decorate a method (a route handler); it decorates something else.`,
  noOptions: (where: string) =>
    `${where} needs an options object with \`events\`, e.g. @ApiEventStream({ events: { tick: TickDto } }).`,
  noEvents: (where: string, value: string) =>
    `${where}: option "events" must be an object naming at least one event, e.g. { tick: TickDto }, got ${value}.`,
  badEventName: (where: string, name: string, why: string) =>
    `${where}: event name ${JSON.stringify(name)} in "events" cannot be sent: ${why}`,
  reservedEventName: (where: string, name: string, option: 'endEvent' | 'resetEvent') =>
    `${where}: event name ${JSON.stringify(name)} in "events" is the name of the library's own ${
      option === 'endEvent' ? 'final word' : 'reset event'
    }, which "${option}" documents already. Rename the event, or set ${option}: false (when the stream's ${
      option === 'endEvent' ? 'endEventName' : 'resetEventName'
    } is another name, pass that name as ${option}).`,
  badPayload: (where: string, name: string, value: string) =>
    `${where}: event "${name}" must map to a DTO class (JSON data), String (text written as is), Number, Boolean, or { type?, isArray?, schema?, encoding?, description? }, got ${value}.`,
  payloadTypeAndSchema: (where: string, name: string) =>
    `${where}: event "${name}" gives both "type" and "schema"; give one: a DTO class in "type", or a JSON schema of the decoded data in "schema".`,
  badControlEvent: (where: string, option: 'endEvent' | 'resetEvent', value: string, why: string) =>
    `${where}: option "${option}" must be true, false, or the event's name (a valid SSE event name), got ${value}${why ? `: ${why}` : '.'}`,
  unknownKeys: (where: string, keys: readonly string[], known: readonly string[]) =>
    `${where}: unknown option${keys.length > 1 ? 's' : ''} ${keys.map((key) => JSON.stringify(key)).join(', ')}; the options are ${known.join(', ')}.`,
  unknownPayloadKeys: (where: string, name: string, keys: readonly string[], known: readonly string[]) =>
    `${where}: event "${name}" has unknown key${keys.length > 1 ? 's' : ''} ${keys.map((key) => JSON.stringify(key)).join(', ')}; the long form of a payload takes ${known.join(', ')}.`,
  sameControlEventName: (where: string, name: string) =>
    `${where}: options "endEvent" and "resetEvent" both document the event ${JSON.stringify(name)}; the final word and the reset event are two events with two names (the module's endEventName and resetEventName). Pass each its own name, or false for the one the route does not send.`,
  badLastEventId: (where: string, value: string) =>
    `${where}: option "lastEventId" must be true or false (default: true when "resetEvent" is documented), got ${value}.`,
  builtInPayload: (where: string, name: string, builtIn: string) =>
    `${where}: event "${name}" maps to the built-in ${builtIn || '(anonymous native function)'}, which has no schema of its own: of the built-ins only String (text), Number and Boolean (JSON) are payloads. Give a DTO class, or a schema, e.g. { schema: { type: 'string', format: 'date-time' } } for a Date (JSON-encoded as a string).`,
  lazyNotAType: (where: string, name: string, value: string) =>
    `${where}: event "${name}" maps to a function that is not a class, read as a lazy type (type: () => Dto); it must return a DTO class, String, Number or Boolean, got ${value}.`,
  lazyTypeThrew: (where: string, name: string, why: string) =>
    `${where}: the lazy type (type: () => Dto) of event "${name}" threw: ${why}`,
  lazyNotAClassLater: (where: string, name: string, value: string) =>
    `${where}: the lazy type (type: () => Dto) of event "${name}" returned no class when the document was built, got ${value}. Return the DTO class (defined by the time SwaggerModule.createDocument() runs); give String, Number or Boolean directly, not through a lazy type.`,
  encodingWithoutSchema: (where: string, name: string) =>
    `${where}: event "${name}" gives "encoding" with "type"; the type says the encoding already (String: text, the rest JSON). "encoding" goes with "schema".`,
  badEncoding: (where: string, name: string, value: string) =>
    `${where}: event "${name}" has "encoding" ${value}; it must be 'json' (data through the serializer) or 'text' (a string written as it is, for a schema of type 'string', not an array).`,
  badText: (where: string, option: string, value: string) =>
    `${where}: option "${option}" must be a string, got ${value}.`,
  badRefusals: (where: string, value: string, known: readonly number[]) =>
    `${where}: option "refusals" must be an array of the statuses ${known.join(', ')}, got ${value}. Document other statuses with @ApiResponse().`,
  notOpenApi3: (version: string) =>
    `documentEventStreams() takes an OpenAPI 3.x document (SwaggerModule.createDocument()), got "openapi": ${version}. Set the version with new DocumentBuilder().setOpenAPIVersion('3.2.0').`,
} as const;

/** A value as a message shows it: strings quoted, functions by name, the rest as JSON when it can be. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === undefined) return 'undefined';
  try {
    const named = (_key: string, inner: unknown) => (typeof inner === 'function' ? `function ${inner.name}` : inner);
    return JSON.stringify(value, named) ?? String(value);
  } catch {
    return String(value);
  }
}
