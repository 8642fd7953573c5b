/**
 * What an `@EventStream()` handler returned, boxed so that Nest hands it to the
 * stream interceptor as it is, instead of awaiting a Promise or flattening an
 * Observable on the way.
 */
export class HandlerResult {
  constructor(
    readonly value: unknown,
    /** `Controller.method`, for error messages. */
    readonly handlerName: string,
  ) {}
}
