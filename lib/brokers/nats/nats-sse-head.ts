import type { SseBrokerPosition } from '../sse-broker.interface.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import type { NatsSseLink } from './nats-sse-link.js';
import type { NatsSseNames } from './nats-sse.names.js';
import { epochOf } from './nats-sse-streams.js';
import { withTimeout } from './nats-sse-timeout.js';

/** How long a head waits for the feed before it checks that the event it waits for still exists. */
const CHECK_AFTER_MS = 100;

/**
 * The namespace's newest position (the events stream's last seq, 0 before
 * its first event), resolved once the feed has delivered every event up to
 * it, when this instance has channels to deliver (with none, at once). An
 * event that JetStream let go of before the feed got to it (by age, or the
 * byte budget) is not waited for: after `CHECK_AFTER_MS`, the wait is for
 * the newest event that exists, if it is older. Rejects with a timeout after
 * `timeoutMs`.
 */
export async function readHead(
  api: NatsSseJetStream,
  names: NatsSseNames,
  link: NatsSseLink,
  subscribed: boolean,
  timeoutMs: number,
): Promise<SseBrokerPosition> {
  const info = await api.info(names.eventsStream);
  const head = { epoch: epochOf(info), seq: info.state.last_seq };
  // A stream made again (another epoch) that the feed has not caught up with yet: nothing of it to wait for.
  if (head.seq === 0 || !subscribed || head.epoch !== link.epoch || link.position >= head.seq) return head;
  const waits: { cancel(): void }[] = [];
  const wait = (seq: number) => {
    const reached = link.reached(seq);
    waits.push(reached);
    return reached.promise;
  };
  let timer: NodeJS.Timeout | undefined;
  const fallback = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      existing(api, names, head.seq)
        .then((seq) => (seq <= link.position ? undefined : wait(seq)))
        .then(resolve, reject);
    }, CHECK_AFTER_MS);
  });
  try {
    await withTimeout(Promise.race([wait(head.seq), fallback]), timeoutMs);
    return head;
  } finally {
    clearTimeout(timer);
    waits.forEach((w) => w.cancel());
  }
}

/** `seq` if the events stream still has it, else its newest seq (0: none): an event the feed delivers after every one up to `seq`. */
async function existing(api: NatsSseJetStream, names: NatsSseNames, seq: number): Promise<number> {
  if (await api.at(names.eventsStream, seq)) return seq;
  const newest = await api.last(names.eventsStream, names.eventsFilter);
  return newest?.seq ?? 0;
}
