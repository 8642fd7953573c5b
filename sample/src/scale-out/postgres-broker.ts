// Loaded by scale-out.ts with a dynamic import, only when the broker URL is a PostgreSQL one:
// nothing else imports 'nestjs-event-stream/postgres', so a run on another broker never loads pg.
export { PostgresSseBroker, PostgresSseScheduleLock } from 'nestjs-event-stream/postgres';
