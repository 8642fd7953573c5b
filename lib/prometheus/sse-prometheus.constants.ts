/** The injection token of the checked `SsePrometheusModule` options. */
export const SSE_PROMETHEUS_OPTIONS = Symbol('SSE_PROMETHEUS_OPTIONS');
