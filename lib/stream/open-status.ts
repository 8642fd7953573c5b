/**
 * The status a stream opens with: one an interceptor or the handler set
 * (anything but what Nest's router sets itself: the route's `@HttpCode()`,
 * else 201 for POST and 200 for the rest), else `@HttpCode()`, else 200.
 */
export function openStatus(current: number, method: string | undefined, declared: number | undefined): number {
  const routerDefault = declared ?? (method === 'POST' ? 201 : 200);
  return current !== routerDefault ? current : (declared ?? 200);
}
