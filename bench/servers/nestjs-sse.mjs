/** Contender "nestjs-sse": the hub with its default in-memory adapter. */
import { startNestjsSseServer } from './nestjs-sse-app.mjs';

await startNestjsSseServer({ name: 'nestjs-sse' });
