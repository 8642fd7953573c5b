import { resolveBrokerBudgets } from '../../lib/brokers/shared/resolve-broker-budgets.js';
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_CHANNEL_BYTES } from '../../lib/sse.constants.js';

/** The budgets the PostgreSQL and NATS brokers resolve alike: defaults, the channel-bytes cap, TypeErrors naming the option. */
describe('resolveBrokerBudgets', () => {
  it('fills in the defaults', () => {
    expect(resolveBrokerBudgets('TestSseBroker', {})).toEqual({
      maxEvents: 1000,
      maxAgeMs: 0,
      maxChannels: 10_000,
      maxChannelBytes: Math.min(DEFAULT_HISTORY_MAX_CHANNEL_BYTES, DEFAULT_HISTORY_MAX_BYTES),
      maxBytes: DEFAULT_HISTORY_MAX_BYTES,
      idempotencyTtlMs: 3_600_000,
      maxIdempotencyKeys: 10_000,
      commandTimeoutMs: 5000,
      connectTimeoutMs: 10_000,
      reconnectDelayMs: 1000,
    });
  });

  it('keeps a channel within all channels’ bytes', () => {
    const budgets = resolveBrokerBudgets('TestSseBroker', { history: { maxBytes: 100, maxChannelBytes: 500 } });
    expect(budgets).toMatchObject({ maxBytes: 100, maxChannelBytes: 100 });
  });

  it.each([
    [{ history: 1 }, /TestSseBroker history/],
    [{ history: { maxEvents: -1 } }, /TestSseBroker history\.maxEvents/],
    [{ history: { maxChannelBytes: 0 } }, /TestSseBroker history\.maxChannelBytes/],
    [{ commandTimeoutMs: 1.5 }, /TestSseBroker commandTimeoutMs/],
    [{ connectTimeoutMs: '1' }, /TestSseBroker connectTimeoutMs/],
    [{ idempotencyTtlMs: 0 }, /TestSseBroker idempotencyTtlMs/],
  ])('refuses %j with a TypeError naming the option', (options, name) => {
    expect(() => resolveBrokerBudgets('TestSseBroker', options as never)).toThrow(TypeError);
    expect(() => resolveBrokerBudgets('TestSseBroker', options as never)).toThrow(name);
  });
});
