import { describe, expect, it } from 'vitest';
import { oneRunAtATime } from '../../shared/one-run-at-a-time';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('oneRunAtATime', () => {
  it('never overlaps runs, and gives calls made during a run one fresh run after it', async () => {
    let active = 0;
    let most = 0;
    const started: number[] = [];
    let calls = 0;
    const run = oneRunAtATime(async () => {
      started.push(calls);
      active++;
      most = Math.max(most, active);
      await tick();
      active--;
    });
    const first = (calls++, run());
    const during = [1, 2, 3, 4].map(() => (calls++, run()));
    await Promise.all([first, ...during]);
    expect(most).toBe(1);
    // The first run began after one call; the second after all five, and served the four made meanwhile.
    expect(started).toEqual([1, 5]);
    expect(new Set(during).size).toBe(1);
    // Idle again: the next call runs at once.
    calls++;
    await run();
    expect(started).toEqual([1, 5, 6]);
  });

  it('gives a call made just as a run ends (before the queued run starts) the queued run, not a second one beside it', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const run = oneRunAtATime(async () => {
      runs++;
      active++;
      most = Math.max(most, active);
      await tick();
      active--;
    });
    const first = run();
    const queued = run();
    await first;
    const late = run();
    expect(late).toBe(queued);
    await Promise.all([queued, late]);
    expect(most).toBe(1);
    expect(runs).toBe(2);
  });

  it('keeps going after a run fails, and tells the caller of that run', async () => {
    let runs = 0;
    const run = oneRunAtATime(async () => {
      runs++;
      await tick();
      if (runs === 1) throw new Error('disk full');
    });
    const failing = run();
    const after = run();
    await expect(failing).rejects.toThrow('disk full');
    await expect(after).resolves.toBeUndefined();
    expect(runs).toBe(2);
  });
});
