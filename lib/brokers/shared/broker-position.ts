import type { SseBrokerPosition } from '../sse-broker.interface.js';

/** The epoch of a position, as every broker writes it: 1 to 16 lowercase letters or digits. */
export const EPOCH = /^[a-z0-9]{1,16}$/;

/** The seq of a position, as text: a decimal safe integer >= 0 without leading zeros. */
export const SEQ = /^(0|[1-9][0-9]{0,15})$/;

/** Whether `value` is a position `read()` can take. Pure. */
export function isPosition(value: unknown): value is SseBrokerPosition {
  const position = value as Partial<SseBrokerPosition> | null;
  return (
    typeof position === 'object' &&
    position !== null &&
    typeof position.epoch === 'string' &&
    EPOCH.test(position.epoch) &&
    Number.isSafeInteger(position.seq) &&
    (position.seq as number) >= 0
  );
}

/**
 * The newer of two positions of one epoch; a position of another epoch
 * replaces the current one. Pure.
 *
 * @example
 * advance({ epoch: 'a', seq: 5 }, { epoch: 'a', seq: 3 }); // { epoch: 'a', seq: 5 }
 */
export function advance(current: SseBrokerPosition | undefined, next: SseBrokerPosition): SseBrokerPosition {
  return !current || current.epoch !== next.epoch || next.seq > current.seq ? next : current;
}
