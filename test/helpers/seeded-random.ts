/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32),
 * so a randomised test prints its seed and replays exactly with it. Not for
 * anything secret.
 *
 * @example
 * const random = new SeededRandom(42);
 * random.pick(['GET', 'POST']); // the same answer on every run with seed 42
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(readonly seed: number) {
    let state = seed >>> 0;
    const next = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let round = 0; round < 12; round += 1) this.#next();
  }

  #next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.#next() / 0x1_0000_0000;
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.float() * below);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (!items.length) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) out[index] = this.int(256);
    return out;
  }

  /** `length` characters drawn from `alphabet`. */
  string(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let index = 0; index < length; index += 1) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

/**
 * The seed a randomised test uses: `variable` from the environment when set
 * (`random` draws a fresh one), else `fallback`, so the suite is
 * deterministic and a wider search is one variable away. Print it.
 */
export function seedFrom(variable: string, fallback: number): number {
  const given = process.env[variable]?.trim();
  if (!given) return fallback;
  if (given === 'random') return Math.floor(Math.random() * 0x1_0000_0000);
  const seed = Number(given);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`${variable} must be an integer from 0 to 4294967295 or "random"; got "${given}"`);
  return seed;
}
