/**
 * A Map that never holds more than `capacity` entries: setting a new key when
 * full evicts the oldest insertion. In-memory counters are keyed by client
 * address, which a caller controls, so an unbounded map would let a flood of
 * addresses exhaust the heap. Counters are inserted when their window
 * starts, so the oldest insertion is the first to expire; evicting a live
 * counter only hands that address a fresh window, which is the lesser harm.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly capacity: number;

  constructor(capacity: number) {
    super();
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
  }

  override set(key: K, value: V): this {
    // Re-inserting moves the key to the end, so a re-initialised window counts as new.
    if (this.has(key)) this.delete(key);
    else if (this.size >= this.capacity) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
