import type { Logger } from '@nestjs/common';
import { PostgresSseCommands } from './postgres-sse-commands.js';
import { PostgresSseConnections } from './postgres-sse-connections.js';
import type { PostgresSseInbound } from './postgres-sse-inbound.js';
import { PostgresSseLinkHealth } from './postgres-sse-link-health.js';
import { PostgresSseListener } from './postgres-sse-listener.js';
import { PostgresSseRefusals } from './postgres-sse-refusals.js';
import type { PostgresSseStatements } from './postgres-sse.statements.js';
import type { ResolvedPostgresSseOptions } from './resolve-postgres-sse-options.js';

/**
 * What a connected broker runs on: its connections, the link's health (one
 * for the pool's commands and the LISTEN connection), the refusals it logs,
 * its commands and its listener. Made by `connect()`; the listener is not
 * started yet.
 */
export class PostgresSseRuntime {
  private constructor(
    readonly connections: PostgresSseConnections,
    readonly health: PostgresSseLinkHealth,
    readonly refusals: PostgresSseRefusals,
    readonly commands: PostgresSseCommands,
    readonly listener: PostgresSseListener,
  ) {}

  static async open(
    settings: ResolvedPostgresSseOptions,
    instanceId: string,
    statements: PostgresSseStatements,
    inbound: PostgresSseInbound,
    logger: Logger,
  ): Promise<PostgresSseRuntime> {
    const connections = await PostgresSseConnections.open(settings, instanceId);
    const { target, pool, ownsPool } = connections;
    const { commandTimeoutMs } = settings;
    const health = new PostgresSseLinkHealth(target, logger);
    const refusals = new PostgresSseRefusals(target, Math.max(1, Math.ceil(commandTimeoutMs / 1000)), logger);
    // An idle connection of the broker's own pool that fails must not crash the app: the pool replaces it.
    if (ownsPool) pool.on('error', (error) => health.failed(error));
    const newClient = () => connections.listenClient();
    const listener = new PostgresSseListener(newClient, statements, inbound, health, settings, logger);
    const commands = new PostgresSseCommands(pool, listener, ownsPool, health, refusals, commandTimeoutMs);
    return new PostgresSseRuntime(connections, health, refusals, commands, listener);
  }

  /** Ends the listener, then the pool if it is the broker's own. */
  async close(): Promise<void> {
    await this.listener.close();
    await this.commands.end();
  }
}
