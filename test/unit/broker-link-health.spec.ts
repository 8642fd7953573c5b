import type { Logger } from '@nestjs/common';
import { BrokerLinkHealth } from '../../lib/brokers/shared/broker-link-health.js';
import { brokerMessages } from '../../lib/brokers/shared/broker-messages.js';

/** The state machine every broker's link health is: one line per outage, one on recovery, the states and details. */
describe('BrokerLinkHealth', () => {
  const common = brokerMessages('TestSseBroker', 'Test');
  const messages = {
    ...common,
    statusDown: (target: string, reason: string) => `down ${target} ${reason}`,
    statusResyncing: (target: string) => `resyncing ${target}`,
    statusStalled: (target: string, ms: number) => `stalled ${target} ${ms}`,
  };
  function make(lostLevel: 'error' | 'warn' = 'warn') {
    const lines: Array<[string, string]> = [];
    const logger = {
      error: (line: string) => lines.push(['error', line]),
      warn: (line: string) => lines.push(['warn', line]),
      log: (line: string) => lines.push(['log', line]),
    } as unknown as Logger;
    const health = new BrokerLinkHealth({ target: () => 'host:1', logger, messages, lostLevel });
    return { health, lines };
  }

  it('is down and connecting before the link was up, with the last error', () => {
    const { health, lines } = make();
    expect(health.status()).toMatchObject({ state: 'down', detail: common.statusConnecting('host:1', undefined) });
    health.failed(new Error('connect to x://u:secret@host:1 refused'));
    expect(health.status().detail).toBe(common.statusConnecting('host:1', 'connect to x://***@host:1 refused'));
    expect(health.restored()).toBe(false);
    expect(health.status()).toEqual({ state: 'up', since: expect.any(Number) });
    expect(lines).toEqual([]);
  });

  it('logs one line per outage at the given level and one on recovery, resyncing in between', () => {
    const { health, lines } = make('error');
    health.restored();
    health.failed(new Error('ECONNRESET'));
    health.lost();
    health.lost();
    health.setupFailed(new Error('ECONNREFUSED'));
    health.lost();
    expect(health.outage).toBe(true);
    expect(health.refusing).toBe(true);
    expect(health.status().detail).toBe('down host:1 ECONNREFUSED');
    health.connected();
    expect(health.current).toBe('resyncing');
    expect(health.refusing).toBe(false);
    expect(health.outage).toBe(true);
    expect(health.restored()).toBe(true);
    expect(health.restored()).toBe(false);
    expect(lines).toEqual([
      ['error', common.linkLost('host:1', 'ECONNRESET')],
      ['log', common.linkRestored('host:1')],
    ]);
    expect(lines[0][1]).toContain('No connection to Test');
    expect(lines[1][1]).toContain('Reconnected to Test');
  });

  it('gives the lost reason when no error was reported', () => {
    const { health, lines } = make();
    health.restored();
    health.lost();
    expect(lines).toEqual([['warn', common.linkLost('host:1', 'the connection closed')]]);
  });

  it('is down while stalled, up again when answered, without log lines', () => {
    const { health, lines } = make();
    health.restored();
    health.stalled(250);
    expect(health.status()).toMatchObject({ state: 'down', detail: 'stalled host:1 250' });
    expect(health.outage).toBe(false);
    health.answered();
    expect(health.current).toBe('up');
    expect(lines).toEqual([]);
  });

  it('stays down once ended, and a later health continues a logged outage', () => {
    const { health } = make();
    health.restored();
    health.lost('gone');
    health.end('closed by its owner');
    health.reconnected();
    expect(health.restored()).toBe(false);
    expect(health.status()).toMatchObject({ state: 'down', detail: 'down host:1 closed by its owner' });
    const { health: next, lines } = make();
    next.continueFrom(health);
    next.lost();
    expect(next.restored()).toBe(true);
    expect(lines).toEqual([['log', common.linkRestored('host:1')]]);
  });
});
