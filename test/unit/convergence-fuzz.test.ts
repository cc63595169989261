/**
 * Convergence fuzz: seeded random editing, note management, partitions, reordered and duplicated
 * messages and restarts from disk, then every replica must hold the same space (see test/fuzz/).
 *
 * Replay one seed:       FUZZ_SEED=1234 npx vitest run --project unit test/unit/convergence-fuzz.test.ts
 * Run long on new seeds: npm run fuzz -- --seconds 600
 */
import { describe, expect, it } from 'vitest';
import { runSpaceFuzz } from '../fuzz/space-fuzz';

/**
 * Seeds that once failed, with what they found. They were found by the fuzz of schema 1 (one document
 * per space) and replay other scenarios now; the fixes they led to stay in the code and run here.
 */
const REGRESSION_SEEDS: Array<{ seed: number; found: string }> = [
  { seed: 1000, found: 'Y.Map key order differs by arrival order: compare canonical JSON' },
  { seed: 1003, found: 'a caret inside a surrogate pair: Yjs stores each half as U+FFFD' },
  { seed: 1004, found: 'a fresh editor merged adjacent lists on load (transforms) that Yjs keeps apart: hydrate without transforms' },
  { seed: 1009, found: 'a live editor out of step with its body after concurrent structure edits: bindNoteBody now rebinds' },
  { seed: 20120, found: 'a local edit threw inside @lexical/yjs on a binding whose editor had merged lists Yjs kept apart' },
  { seed: 90302029, found: 'a live editor lost a line break after a remote change, and the desync check did not count line breaks' },
  { seed: 90304745, found: 'an editor merged two text runs Yjs held apart as it loaded, unknown to the binding: the next edit landed a letter off' },
  { seed: 90305515, found: 'the same merge on load, another shape' },
  { seed: 91001957, found: 'a live editor kept letters typed into a node deleted elsewhere, which a load of the body drops (and @lexical/yjs then dropped the text after them too)' },
  { seed: 91000545, found: 'the same letters left without their node, another shape' },
  { seed: 92001061, found: 'a list whose items were deleted elsewhere stayed in a live editor, and a line break typed at it threw' },
];

/** Seeds replayed with every live editor checked against its body at the end. */
const LIVE_EDITOR_SEEDS = [1003, 1004, 1009, 90302029, 90304745, 90305515, 91001957, 91000545, 92001061];

/**
 * Seeds where a local edit throws inside Lexical ("$getTextNodeOffset: invalid offset"): a remote change
 * shrank the text node the editor's selection points into (these headless editors have no awareness
 * state, so @lexical/yjs cannot move their selection with the change). Only Lexical's development
 * build makes that check; the production build the app ships clamps the offset and these seeds
 * converge there (`npm run fuzz -- --production`, and again in `npm run test:unit`). Pinned on that exact
 * error. 57692940 came from a 1,800-second run (3,534 seeds, this the only failure).
 */
const BINDING_THROWS_SEEDS = [40597, 57692940];
const PRODUCTION_LEXICAL = process.env.NODE_ENV === 'production';

/** Seeds of the short run in `npm test`: fixed, so CI is reproducible. */
const SHORT_RUN_SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

const replaySeed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : null;
const longRunSeconds = process.env.FUZZ_SECONDS ? Number(process.env.FUZZ_SECONDS) : 0;

describe.skipIf(replaySeed !== null || longRunSeconds > 0)('convergence fuzz', () => {
  it.each(REGRESSION_SEEDS)('regression seed $seed ($found)', async ({ seed }) => {
    await runSpaceFuzz(seed);
  });

  it.each(LIVE_EDITOR_SEEDS)('live editors show their bodies, seed %i', async (seed) => {
    await runSpaceFuzz(seed, { checkLiveEditors: true });
  });

  it.each(BINDING_THROWS_SEEDS)('a stale selection after a remote change: the development build of Lexical throws, seed %i', async (seed) => {
    if (PRODUCTION_LEXICAL) await runSpaceFuzz(seed);
    else await expect(runSpaceFuzz(seed)).rejects.toThrow(/\$getTextNodeOffset: invalid offset \d+ for size \d+/);
  });

  it.each(SHORT_RUN_SEEDS)('seed %i converges', async (seed) => {
    const report = await runSpaceFuzz(seed);
    expect(report.seed).toBe(seed);
  });
});

describe.runIf(replaySeed !== null)('replay one seed', () => {
  it(`seed ${replaySeed}`, async () => {
    const report = await runSpaceFuzz(replaySeed!, {
      trace: process.env.FUZZ_TRACE ? (line) => console.log(line) : undefined,
      checkEveryStep: Boolean(process.env.FUZZ_CHECK),
      checkLiveEditors: Boolean(process.env.FUZZ_LIVE),
    });
    console.log(JSON.stringify(report));
  }, 300_000);
});

describe.runIf(longRunSeconds > 0)('long run on new seeds', () => {
  it(`runs for ${longRunSeconds} s`, async () => {
    const deadline = Date.now() + longRunSeconds * 1000;
    let seed = Number(process.env.FUZZ_START_SEED ?? (Date.now() % 1_000_000_000));
    const passed: number[] = [];
    const failed: Array<{ seed: number; message: string }> = [];
    while (Date.now() < deadline) {
      try {
        await runSpaceFuzz(seed, { checkLiveEditors: Boolean(process.env.FUZZ_LIVE) });
        passed.push(seed);
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        console.error(`FAILING SEED ${seed}: ${message}`);
        failed.push({ seed, message });
      }
      seed = (seed + 1) % 2 ** 31;
    }
    console.log(`fuzz: ${passed.length} seeds passed, ${failed.length} failed${failed.length ? `: ${failed.map((f) => f.seed).join(', ')}` : ''}`);
    expect(failed).toEqual([]);
  }, (longRunSeconds + 300) * 1000);
});
