export { seededRandom } from "../../src/devtools/random";

/**
 * The seed of a randomised test: STO_TEST_SEED replays a run, otherwise a fresh one. It is logged
 * with the name of the test, so a failure can be replayed.
 */
export function testSeed(name: string): number {
  const configured = process.env.STO_TEST_SEED;
  if (configured !== undefined && !/^\d+$/.test(configured)) throw new Error(`STO_TEST_SEED: "${configured}" is not a whole number`);
  const seed = configured !== undefined ? Number(configured) >>> 0 : Math.floor(Math.random() * 2 ** 31);
  console.log(`${name}: seed ${seed} (replay with STO_TEST_SEED=${seed})`);
  return seed;
}

/** `length` bytes from a seeded generator. */
export function seededBytes(next: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}
