/**
 * The route pattern a request matched, as the platform registered it
 * (controller prefix and global prefix included): `/rooms/:room/events`.
 * Express: `request.route.path`; Fastify: `request.routeOptions.url`.
 * `unknown` when the platform does not say. Bounded: a route is code, not
 * input, so it can be a metrics label.
 */
export function routePatternOf(request: unknown): string {
  const { route, routeOptions } = request as { route?: { path?: unknown }; routeOptions?: { url?: unknown } };
  const pattern = route?.path ?? routeOptions?.url;
  return typeof pattern === 'string' && pattern.length > 0 ? pattern : 'unknown';
}
