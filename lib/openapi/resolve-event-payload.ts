import type { Type } from '@nestjs/common';
import type { ApiEventPayload, ApiEventPayloadOptions, JsonSchema } from './api-event-stream-options.interface.js';
import { describeValue, OPENAPI_MESSAGES } from './openapi.messages.js';

/** One event as the document describes it. */
export interface EventDoc {
  /** The `event:` field (`message` also covers values sent without one). */
  readonly name: string;
  /** `json`: `data` is JSON (`model` or `schema`); `text`: the string is written as it is (`schema` may describe it). */
  readonly encoding: 'json' | 'text';
  /** The DTO class whose schema `data` holds (registered in `components.schemas`). */
  readonly model?: Type<unknown>;
  /**
   * A lazy type (`() => Dto`) whose class was not defined yet when the
   * decorator applied (a circular import): called when the document is built,
   * as `@nestjs/swagger` calls the lazy types of `@ApiProperty()`. Throws there
   * when it returns no DTO class.
   */
  readonly lazyModel?: () => Type<unknown>;
  /** The schema of the decoded data when there is no model (`Number`, `Boolean`, a raw schema). */
  readonly schema?: JsonSchema;
  /** `true`: the data is a JSON array of `model` (or `schema`). */
  readonly isArray: boolean;
  readonly description?: string;
}

/** The keys of the long form of a payload. */
export const PAYLOAD_KEYS: readonly (keyof ApiEventPayloadOptions)[] = [
  'type',
  'isArray',
  'schema',
  'encoding',
  'description',
];

const PRIMITIVE_SCHEMAS = new Map<unknown, JsonSchema>([
  [String, { type: 'string' }],
  [Number, { type: 'number' }],
  [Boolean, { type: 'boolean' }],
]);

type AnyFunction = (...args: never[]) => unknown;

/** The documentation of event `name`'s payload; throws naming the route (`where`), the event and the fix. */
export function eventDoc(where: string, name: string, payload: ApiEventPayload): EventDoc {
  if (typeof payload === 'function') return typeDoc(where, name, payload as AnyFunction, false, undefined);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
  }
  const unknown = Object.keys(payload).filter((key) => !(PAYLOAD_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new Error(OPENAPI_MESSAGES.unknownPayloadKeys(where, name, unknown, PAYLOAD_KEYS));
  const { type, isArray = false, schema, encoding, description } = payload as ApiEventPayloadOptions;
  if (type !== undefined && schema !== undefined) throw new Error(OPENAPI_MESSAGES.payloadTypeAndSchema(where, name));
  if (typeof isArray !== 'boolean' || (description !== undefined && typeof description !== 'string')) {
    throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
  }
  if (typeof type === 'function') {
    if (encoding !== undefined) throw new Error(OPENAPI_MESSAGES.encodingWithoutSchema(where, name));
    return typeDoc(where, name, type as AnyFunction, isArray, description);
  }
  if (type === undefined && schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
    return { name, encoding: schemaEncoding(where, name, schema, isArray, encoding), schema, isArray, description };
  }
  throw new Error(OPENAPI_MESSAGES.badPayload(where, name, describeValue(payload)));
}

/**
 * How a schema-given event's `data` is written: a string is written as it is
 * (never JSON), anything else through the serializer. `text` by default for a
 * `type: 'string'` schema, `json` for the rest; `text` needs a string schema.
 */
function schemaEncoding(
  where: string,
  name: string,
  schema: JsonSchema,
  isArray: boolean,
  encoding: unknown,
): 'json' | 'text' {
  if (encoding === undefined) return schema.type === 'string' && !isArray ? 'text' : 'json';
  if (encoding === 'json') return 'json';
  if (encoding === 'text' && !isArray && (schema.type === undefined || schema.type === 'string')) return 'text';
  throw new Error(OPENAPI_MESSAGES.badEncoding(where, name, describeValue(encoding)));
}

function typeDoc(
  where: string,
  name: string,
  type: AnyFunction,
  isArray: boolean,
  description: string | undefined,
): EventDoc {
  const resolved = classOrPrimitive(where, name, type);
  if (resolved === undefined) {
    // A lazy type whose class is not defined yet: read when the document is built.
    const lazyModel = () => lazyClass(where, name, type);
    return { name, encoding: 'json', lazyModel, isArray, description };
  }
  const primitive = PRIMITIVE_SCHEMAS.get(resolved);
  // A string is written as it is; anything else (and an array of strings) goes through the serializer: JSON.
  if (resolved === String && !isArray) return { name, encoding: 'text', isArray, description };
  if (primitive) return { name, encoding: 'json', schema: primitive, isArray, description };
  return { name, encoding: 'json', model: resolved as unknown as Type<unknown>, isArray, description };
}

/**
 * A class, `String`, `Number` or `Boolean` as it is; another function is a
 * lazy type (`() => Dto`), called now: what it returns, or `undefined` when its
 * class is not defined yet (it throws a `ReferenceError` or returns
 * `undefined`, as in a circular import). Other built-ins (`Date`, `Object`,
 * `Array`...) have no schema of their own and are refused.
 */
function classOrPrimitive(where: string, name: string, type: AnyFunction): AnyFunction | undefined {
  if (PRIMITIVE_SCHEMAS.has(type)) return type;
  if (isNative(type)) throw new Error(OPENAPI_MESSAGES.builtInPayload(where, name, type.name));
  if (isClass(type)) return type;
  let result: unknown;
  try {
    result = type();
  } catch (error) {
    if (error instanceof ReferenceError) return undefined;
    throw new Error(OPENAPI_MESSAGES.lazyTypeThrew(where, name, (error as Error)?.message ?? String(error)));
  }
  if (result === undefined) return undefined;
  if (typeof result === 'function' && PRIMITIVE_SCHEMAS.has(result)) return result as AnyFunction;
  if (typeof result === 'function' && isNative(result as AnyFunction)) {
    throw new Error(OPENAPI_MESSAGES.builtInPayload(where, name, (result as AnyFunction).name));
  }
  if (typeof result === 'function' && isClass(result as AnyFunction)) return result as AnyFunction;
  throw new Error(OPENAPI_MESSAGES.lazyNotAType(where, name, describeValue(result)));
}

/** A deferred lazy type, read when the document is built: it must return a DTO class by then. */
function lazyClass(where: string, name: string, type: AnyFunction): Type<unknown> {
  let result: unknown;
  try {
    result = type();
  } catch (error) {
    throw new Error(OPENAPI_MESSAGES.lazyTypeThrew(where, name, (error as Error)?.message ?? String(error)));
  }
  if (typeof result === 'function' && !isNative(result as AnyFunction) && isClass(result as AnyFunction)) {
    return result as Type<unknown>;
  }
  throw new Error(OPENAPI_MESSAGES.lazyNotAClassLater(where, name, describeValue(result)));
}

/** A built-in constructor (`Date`, `Object`, `Map`...) or another native or bound function. */
function isNative(type: AnyFunction): boolean {
  return /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(type));
}

/**
 * A class: `class` syntax, or a constructor function compiled from one (it has
 * methods on its prototype, or the metadata `@ApiProperty()` leaves there).
 * An arrow function or a function without either is a lazy type.
 */
function isClass(type: AnyFunction): boolean {
  if (/^class\b/.test(Function.prototype.toString.call(type))) return true;
  const prototype = (type as { prototype?: object }).prototype;
  if (prototype === undefined) return false;
  if (Object.getOwnPropertyNames(prototype).some((key) => key !== 'constructor')) return true;
  const reflect = Reflect as { getMetadataKeys?: (target: object) => unknown[] };
  return (reflect.getMetadataKeys?.(prototype).length ?? 0) > 0;
}
