/** Contender "nestjs-event-stream": the hub with its default in-memory adapter. */
import { startNestjsSseServer } from './nestjs-event-stream-app.mjs';

await startNestjsSseServer({ name: 'nestjs-event-stream' });
