/**
 * Request/response over the Node IPC channel between the orchestrator and its
 * children (servers and load clients), plus the clock every process shares.
 */

/**
 * Milliseconds on CLOCK_MONOTONIC (process.hrtime), which is the same clock in
 * every process of the machine: a timestamp taken in one process can be
 * subtracted from one taken in another.
 */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Child side: answers `{ rpc, cmd, args }` messages with `{ rpc, ok, result | error }`.
 * The child exits when the orchestrator goes away (the IPC channel closes), so
 * that no server or load client outlives the bench, whatever happened to it.
 */
export function serveRpc(handlers) {
  if (typeof process.send !== 'function') {
    throw new Error('This script is started by bench/run.mjs (it needs an IPC channel).');
  }
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    if (!message || typeof message.rpc !== 'number') return;
    const handler = handlers[message.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      const result = await handler(message.args ?? {});
      process.send({ rpc: message.rpc, ok: true, result });
    } catch (error) {
      process.send({ rpc: message.rpc, ok: false, error: String(error?.stack ?? error) });
    }
  });
}

/** Child side: tells the orchestrator something (`ready`, `skip`, `fatal`). */
export function notify(message) {
  process.send?.(message);
}
