import { jitter, jitterBelow } from '../../lib/stream/jitter.js';

describe('jitter', () => {
  it('spreads a value over ±fraction of it, at both ends and in the middle', () => {
    expect(jitter(3000, 0.2, () => 0)).toBe(2400);
    expect(jitter(3000, 0.2, () => 0.5)).toBe(3000);
    expect(jitter(3000, 0.2, () => 1)).toBe(3600);
  });

  it('gives the value itself, rounded, for a fraction of 0, and never less than 0', () => {
    expect(jitter(3000, 0, () => 0.9)).toBe(3000);
    expect(jitter(10.4, 0, () => 0.9)).toBe(10);
    expect(jitter(0, 0.5, () => 0)).toBe(0);
    expect(jitter(100, 1, () => 0)).toBe(0);
  });

  it('gives many distinct values for Math.random, all within the bounds', () => {
    const values = Array.from({ length: 200 }, () => jitter(3000, 0.2));
    expect(new Set(values).size).toBeGreaterThan(50);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(2400);
    expect(Math.max(...values)).toBeLessThanOrEqual(3600);
  });
});

describe('jitterBelow', () => {
  it('takes up to fraction off, never adding: uniform over [max·(1−fraction), max]', () => {
    expect(jitterBelow(600_000, 0.1, () => 0)).toBe(540_000);
    expect(jitterBelow(600_000, 0.1, () => 0.5)).toBe(570_000);
    expect(jitterBelow(600_000, 0.1, () => 1)).toBe(600_000);
    expect(jitterBelow(600_000, 0, () => 0)).toBe(600_000);
    expect(jitterBelow(1000, 1, () => 0)).toBe(0);
  });
});
