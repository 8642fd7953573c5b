import type {
  SseBroker,
  SseBrokerContext,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
} from '../../../lib/brokers/sse-broker.interface.js';
import { SseBrokerUnavailableError } from '../../../lib/broker.js';

/** Whether a fault applies to a call on `channel`. */
type ChannelTest = (channel: string) => boolean;

/** A fault injected once into the next matching call, then forgotten: it runs after the real call. */
interface Fault {
  readonly matches: ChannelTest;
  run(): Promise<void> | void;
}

/**
 * A real broker (in memory, Redis) with faults injected into its real calls:
 * a publish that stores its event and then fails as a timeout would
 * (`maybePublished`), a read that fails, a hook that runs between a read and
 * its answer (what arrives live meanwhile), or an instance cut off from the
 * broker for good (`die()`: every publish refused, as from a crashed or
 * isolated instance). Not a mock: every call goes to the real broker first.
 */
export class FaultyBroker implements SseBroker {
  private publishFault: Fault | undefined;
  private readFault: Fault | undefined;
  private dead = false;

  constructor(readonly inner: SseBroker) {}

  get messages$() {
    return this.inner.messages$;
  }

  /** The next publish on a matching channel stores its event, then rejects with `maybePublished`. */
  failNextPublishAfterStoring(matches: ChannelTest): void {
    this.publishFault = {
      matches,
      run: () => {
        throw new SseBrokerUnavailableError('Injected: no answer in time.', { maybePublished: true });
      },
    };
  }

  /** The next read of a matching channel rejects with the broker's unavailable error, after reading. */
  failNextRead(matches: ChannelTest): void {
    this.readFault = {
      matches,
      run: () => {
        throw new SseBrokerUnavailableError('Injected: read failed.');
      },
    };
  }

  /** The next read of a matching channel is made, then `hook` runs (awaited) before its page is answered. */
  beforeNextReadAnswers(matches: ChannelTest, hook: () => Promise<void> | void): void {
    this.readFault = { matches, run: hook };
  }

  /** From now on every publish is refused, as if the broker could not be reached from this instance. */
  die(): void {
    this.dead = true;
  }

  connect(context?: SseBrokerContext): Promise<void> | void {
    return this.inner.connect(context);
  }

  async publish(channel: string, payload: string, options?: SseBrokerPublishOptions): Promise<SseBrokerPosition> {
    if (this.dead) throw new SseBrokerUnavailableError('Injected: this instance is cut off.');
    const position = await this.inner.publish(channel, payload, options);
    const fault = this.publishFault;
    if (fault?.matches(channel)) {
      this.publishFault = undefined;
      await fault.run();
    }
    return position;
  }

  async read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> {
    const page = await this.inner.read(channels, after, limit);
    const fault = this.readFault;
    if (fault && channels.some(fault.matches)) {
      this.readFault = undefined;
      await fault.run();
    }
    return page;
  }

  send(message: SseBrokerSentMessage): Promise<void> | void {
    return this.inner.send(message);
  }

  subscribe(channel: string): Promise<void> | void {
    return this.inner.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> | void {
    return this.inner.unsubscribe(channel);
  }

  head(): Promise<SseBrokerPosition> | SseBrokerPosition {
    return this.inner.head();
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }

  status(): SseBrokerStatus {
    return this.inner.status?.() ?? { state: 'up' };
  }
}
