// Loaded by bootstrap.ts with a dynamic import, only when SSE_REDIS_URL is set: nothing else
// imports 'nestjs-event-stream/redis', so an in-memory run never loads ioredis.
export { RedisSseBroker, RedisSseScheduleLock, RedisSseTicketStore } from 'nestjs-event-stream/redis';
