import { EventQueue } from '../../lib/client/event-queue.js';
import { ListenerRegistry } from '../../lib/client/listener-registry.js';
import { utf8ByteString } from '../../lib/client/request.js';

describe('the typed client’s parts', () => {
  it('a single listener that adds another during an emit: the new one is called from the next emit on', () => {
    const registry = new ListenerRegistry();
    const calls: string[] = [];
    const off = registry.add('k', (n) => {
      calls.push(`first:${String(n)}`);
      off();
      registry.add('k', (m) => calls.push(`added:${String(m)}`));
    });
    registry.emit('k', 1);
    expect(calls).toEqual(['first:1']);
    registry.emit('k', 2);
    expect(calls).toEqual(['first:1', 'added:2']);
  });

  it('two overlapping next() calls each get an event, in order; a third gets the end', async () => {
    const queue = new EventQueue<string>(
      () => undefined,
      () => undefined,
    );
    const [a, b, c] = [queue.next(), queue.next(), queue.next()];
    queue.push('x');
    queue.push('y');
    queue.end();
    expect(await Promise.all([a, b, c])).toEqual([
      { value: 'x', done: false },
      { value: 'y', done: false },
      { value: undefined, done: true },
    ]);
  });

  it('an end with an error rejects the first waiting next(); the others end', async () => {
    const queue = new EventQueue<string>(
      () => undefined,
      () => undefined,
    );
    const [a, b] = [queue.next(), queue.next()];
    queue.end(new Error('401'));
    await expect(a).rejects.toThrow('401');
    expect(await b).toEqual({ value: undefined, done: true });
  });

  it('a queue starts at its first next(), once', async () => {
    let starts = 0;
    const queue = new EventQueue<string>(
      () => undefined,
      () => undefined,
      () => void starts++,
    );
    expect(starts).toBe(0);
    const first = queue.next();
    void queue.next();
    expect(starts).toBe(1);
    queue.push('x');
    expect(await first).toEqual({ value: 'x', done: false });
  });

  it('a header value: ASCII as it is, anything else as its UTF-8 bytes, one character per byte', () => {
    expect(utf8ByteString('t1.42')).toBe('t1.42');
    expect(utf8ByteString('☃')).toBe('\u00e2\u0098\u0083');
    expect(utf8ByteString('é😀')).toBe(String.fromCharCode(...new TextEncoder().encode('é😀')));
    const long = '☃'.repeat(10_000);
    expect(new TextDecoder().decode(Uint8Array.from(utf8ByteString(long), (c) => c.charCodeAt(0)))).toBe(long);
    expect([...utf8ByteString(long)].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
  });
});
