// Loaded by scale-out.ts with a dynamic import, only when the broker URL is a Redis one: nothing else
// imports 'nestjs-event-stream/redis', so a run on another broker never loads ioredis.
export { RedisSseBroker, RedisSseScheduleLock, RedisSseTicketStore } from 'nestjs-event-stream/redis';
