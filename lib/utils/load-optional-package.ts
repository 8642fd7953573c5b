import { SSE_MESSAGES } from '../sse.messages.js';

/**
 * Imports an optional peer dependency when a feature needs it, so that apps
 * that do not use the feature need not install it. A missing package fails
 * with a message naming what to install.
 */
export async function loadOptionalPackage<T>(name: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = (error as Error)?.message ?? '';
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(name)) {
      throw new Error(SSE_MESSAGES.optionalPackageMissing(name, feature));
    }
    throw error;
  }
}
