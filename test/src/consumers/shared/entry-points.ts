/**
 * What an app author does with the package's other entry points, from the
 * packed tarball: reads the app's own `/hello` stream with the testing kit
 * (`nestjs-event-stream/testing`) and with the typed client
 * (`nestjs-event-stream/client`), and loads `nestjs-event-stream/openapi`.
 * Copied beside each consumer's app.ts (see ../build.ts), so it compiles to
 * CommonJS or to ES modules with it.
 */
import type { INestApplication } from '@nestjs/common';
import { EventStreamClient } from 'nestjs-event-stream/client';
import * as openapi from 'nestjs-event-stream/openapi';
import { openEventStream } from 'nestjs-event-stream/testing';

/** The events of `/hello`, shared by the server and both readers. */
export interface HelloEvents {
  hello: { ok: boolean };
}

export interface EntryPointsReport {
  kit: HelloEvents['hello'];
  client: HelloEvents['hello'] | undefined;
  clientClosed: string;
  openapiExports: string[];
}

export async function useEntryPoints(app: INestApplication, url: string): Promise<EntryPointsReport> {
  const stream = await openEventStream<HelloEvents>(app, '/hello');
  const hello = await stream.next('hello');
  await stream.ended;

  const client = new EventStreamClient<HelloEvents>(`${url}/hello`);
  let received: HelloEvents['hello'] | undefined;
  client.on('hello', (data) => (received = data));
  const closed = await client.closed;

  return {
    kit: hello.data,
    client: received,
    clientClosed: closed.reason,
    openapiExports: Object.keys(openapi)
      .filter((name) => name !== 'default')
      .sort(),
  };
}
