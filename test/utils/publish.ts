import { sseEvent, type SseHub } from '../../lib/index.js';

/**
 * Publishes `count` events named `tick` to `channel`, with the data "0", "1", …,
 * one every 5 ms or so; resolves with the data published, in order.
 */
export async function publishTicks(hub: SseHub, channel: string, count: number): Promise<string[]> {
  const published: string[] = [];
  for (let n = 0; n < count; n++) {
    published.push(String(n));
    await hub.publish(channel, sseEvent({ event: 'tick', data: String(n) }));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return published;
}
