/**
 * What an app author does with the package's other entry points, from the
 * packed tarball: reads the app's own `/hello` stream with the testing kit
 * (`nestjs-event-stream/testing`) and with the typed client
 * (`nestjs-event-stream/client`), and loads the openapi, prometheus,
 * opentelemetry, terminus, postgres and nats entry points (their optional peers come from
 * the repository's node_modules).
 * Copied beside each consumer's app.ts (see ../build.ts), so it compiles to
 * CommonJS or to ES modules with it.
 */
import type { INestApplication } from '@nestjs/common';
import { EventStreamClient } from 'nestjs-event-stream/client';
import * as nats from 'nestjs-event-stream/nats';
import * as openapi from 'nestjs-event-stream/openapi';
import * as opentelemetry from 'nestjs-event-stream/opentelemetry';
import * as postgres from 'nestjs-event-stream/postgres';
import * as prometheus from 'nestjs-event-stream/prometheus';
import * as terminus from 'nestjs-event-stream/terminus';
import { openEventStream } from 'nestjs-event-stream/testing';

/** The events of `/hello`, shared by the server and both readers. */
export interface HelloEvents {
  hello: { ok: boolean };
}

export interface EntryPointsReport {
  kit: HelloEvents['hello'];
  client: HelloEvents['hello'] | undefined;
  clientClosed: string;
  /** The value exports of each optional-peer entry point. */
  exports: Record<'openapi' | 'prometheus' | 'opentelemetry' | 'terminus' | 'postgres' | 'nats', string[]>;
}

function namesOf(module: object): string[] {
  return Object.keys(module)
    .filter((name) => name !== 'default')
    .sort();
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
    exports: {
      openapi: namesOf(openapi),
      prometheus: namesOf(prometheus),
      opentelemetry: namesOf(opentelemetry),
      terminus: namesOf(terminus),
      postgres: namesOf(postgres),
      nats: namesOf(nats),
    },
  };
}
