import type {
  ConsumerConfig,
  ConsumerInfo,
  JetStreamClient,
  JetStreamManager,
  JetStreamPublishOptions,
  MsgRequest,
  NatsConnection,
  PubAck,
  StoredMsg,
  StreamInfo,
  StreamInfoRequestOptions,
} from 'nats';
import { isNoMessage } from './nats-sse.codec.js';

/** What the broker uses of the `nats` package at run time (loaded when it connects, never before). */
export interface NatsModule {
  connect: typeof import('nats').connect;
  headers: typeof import('nats').headers;
  createInbox: typeof import('nats').createInbox;
}

/** Direct gets: the manager has them (`jsm.direct`), the package's public types do not say so. */
interface DirectGets {
  getMessage(stream: string, query: MsgRequest | { seq: number; next_by_subj: string }): Promise<StoredMsg>;
}

/**
 * The JetStream requests of the broker, on one connection, each bounded by
 * `commandTimeoutMs` (the nats client's own request timeout): stream info,
 * direct gets (the streams allow them), publishes, purges and consumers.
 * A direct get that finds nothing resolves to `undefined`.
 */
export class NatsSseJetStream {
  private readonly direct: DirectGets;

  private constructor(
    readonly nc: NatsConnection,
    readonly nats: NatsModule,
    readonly jsm: JetStreamManager,
    readonly js: JetStreamClient,
  ) {
    this.direct = (jsm as JetStreamManager & { direct: DirectGets }).direct;
  }

  static async open(nc: NatsConnection, nats: NatsModule, timeoutMs: number): Promise<NatsSseJetStream> {
    // checkAPI false: no request at creation (the first real request says whether JetStream answers).
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs, checkAPI: false });
    return new NatsSseJetStream(nc, nats, jsm, nc.jetstream({ timeout: timeoutMs, checkAPI: false }));
  }

  info(stream: string, options?: Partial<StreamInfoRequestOptions>): Promise<StreamInfo> {
    return this.jsm.streams.info(stream, options);
  }

  /** The newest message of `subject` (a wildcard may be in it), or `undefined`. */
  last(stream: string, subject: string): Promise<StoredMsg | undefined> {
    return this.found(this.direct.getMessage(stream, { last_by_subj: subject }));
  }

  /** The first message of `subject` (a wildcard may be in it) at or after `seq`, or `undefined`. */
  next(stream: string, subject: string, seq: number): Promise<StoredMsg | undefined> {
    return this.found(this.direct.getMessage(stream, { seq, next_by_subj: subject }));
  }

  /** The message at `seq`, or `undefined`. */
  at(stream: string, seq: number): Promise<StoredMsg | undefined> {
    return this.found(this.direct.getMessage(stream, { seq }));
  }

  publish(subject: string, data: Uint8Array, options: Partial<JetStreamPublishOptions>): Promise<PubAck> {
    return this.js.publish(subject, data, options);
  }

  /** Purges the messages of `subject` before `seq` (not `seq` itself). */
  async purgeBefore(stream: string, subject: string, seq: number): Promise<void> {
    await this.jsm.streams.purge(stream, { filter: subject, seq });
  }

  addConsumer(stream: string, config: Partial<ConsumerConfig>): Promise<ConsumerInfo> {
    return this.jsm.consumers.add(stream, config);
  }

  async deleteConsumer(stream: string, name: string): Promise<void> {
    await this.jsm.consumers.delete(stream, name);
  }

  private async found(request: Promise<StoredMsg>): Promise<StoredMsg | undefined> {
    try {
      return await request;
    } catch (error) {
      if (isNoMessage(error)) return undefined;
      throw error;
    }
  }
}
