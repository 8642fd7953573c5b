// Loaded by scale-out.ts with a dynamic import, only when the broker URL is a NATS one:
// nothing else imports 'nestjs-event-stream/nats', so a run on another broker never loads nats.
export { NatsSseBroker, NatsSseScheduleLock } from 'nestjs-event-stream/nats';
