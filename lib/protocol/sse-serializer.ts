/** Turns a non-string `data` value into text. The default is `JSON.stringify`. */
export type SseSerializer = (value: unknown) => string;

/** The default serializer: JSON. */
export const jsonSerializer: SseSerializer = (value) => JSON.stringify(value);
