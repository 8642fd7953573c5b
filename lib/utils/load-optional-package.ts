import { SSE_MESSAGES } from '../sse.messages.js';

/** Whether `error` says a module could not be found (`name` in its message, when given). */
export function isModuleNotFound(error: unknown, name?: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return name === undefined || String((error as Error)?.message ?? '').includes(name);
}

/**
 * Imports an optional peer dependency when a feature needs it, so that apps
 * that do not use the feature need not install it. A missing package fails
 * with a message naming what to install (`missing`, by default the generic one).
 * The one loader of optional packages of the library.
 */
export async function loadOptionalPackage<T>(
  name: string,
  feature: string,
  load: () => Promise<T>,
  missing: () => string = () => SSE_MESSAGES.optionalPackageMissing(name, feature),
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, name)) throw new Error(missing());
    throw error;
  }
}
