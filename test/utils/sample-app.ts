import type { IncomingHttpHeaders } from 'node:http';
import { openEventStream, type OpenEventStreamOptions } from 'nestjs-event-stream/testing';
import { createSampleApp, type SampleApp } from '../../sample/src/bootstrap.js';
import type { SampleEnv } from '../../sample/src/config/sample-config.js';
import { sharedBrowserClientDir } from './browser-client.js';
import { listen, SAMPLE_PLATFORM } from './test-app.js';

/** The real sample, listening: `url` is `http://127.0.0.1:<port>`. */
export type RunningSample = SampleApp & { url: string };

/** A response read to its end. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

/** Boots the real sample in process on an ephemeral port. */
export async function startSample(env: SampleEnv): Promise<RunningSample> {
  // The page's typed client, built for this test process (never dist/, which the package suite rebuilds).
  process.env.SAMPLE_CLIENT_DIR = await sharedBrowserClientDir();
  const sample = await createSampleApp({ PLATFORM: SAMPLE_PLATFORM, ...env }, { logger: false });
  const { url } = await listen(sample.app);
  return { ...sample, url };
}

/** Sends a request to `path` of the sample and reads the response to its end. */
export async function callSample(
  sample: RunningSample,
  path: string,
  options: OpenEventStreamOptions = {},
): Promise<Answer> {
  const response = await openEventStream(sample.app, path, options);
  await response.waitForEnd();
  return {
    status: response.status,
    headers: response.headers,
    text: response.text,
    json: () => JSON.parse(response.text),
  };
}
