import type { Logger } from '@nestjs/common';
import { RedisSseLinkHealth } from '../../lib/brokers/redis/redis-sse-link-health.js';

/** `RedisSseLinkHealth.failed()`: no credentials of a URL in an error text survive into the status. */
describe('RedisSseLinkHealth', () => {
  const silent = { error: () => undefined, log: () => undefined } as unknown as Logger;
  const connections = {
    command: { status: 'reconnecting' },
    subscriber: { status: 'reconnecting' },
    target: () => 'host:6380',
  } as never;

  it.each([
    ['rediss://:p@ss@host:6380/0', 'rediss://***@host:6380/0', /p@ss|ss@/],
    ['redis://u:pa/ss@host:6380', 'redis://***@host:6380', /pa\/ss|u:/],
    ['redis://user:secret@host:6380 and redis://other:pw@b:1', 'redis://***@b:1', /secret|other|pw/],
  ])('redacts the credentials of %s', (url, redacted, secret) => {
    const health = new RedisSseLinkHealth(connections, silent);
    health.failed(new Error(`connect ${url} ECONNREFUSED`));
    health.lost();
    const detail = health.status().detail!;
    expect(detail).toContain(redacted);
    expect(detail).not.toMatch(secret);
  });
});
