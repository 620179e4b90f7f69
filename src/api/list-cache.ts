/**
 * Answers to a list, shared by every request for the same list for up to
 * `maxAgeMs`. A visibility list costs Temporal about half a millisecond per
 * entry (a page of 500 clusters takes the dev server ~300 ms), so without
 * sharing, a few readers of a large list saturate it. With sharing, one list per
 * `maxAgeMs` reaches Temporal however many read it.
 *
 * - An answer is never older than `maxAgeMs`: past half of it, the next reader
 *   starts a refresh in the background and is served meanwhile, so under steady
 *   reading nobody waits for Temporal.
 * - A write through this API drops its org's lists (`invalidate`), so the next
 *   list asks Temporal again. Changes made by workflows show within `maxAgeMs`, as
 *   visibility stores with an index refresh (Elasticsearch) already behave.
 */
export class ListCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxEntries = 256,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(scope: string, key: string, load: () => Promise<T>): Promise<T> {
    if (this.maxAgeMs <= 0) return load();
    const id = `${scope}\n${key}`;
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { scope };
      this.remember(id, entry);
    }
    const age = entry.answer ? this.now() - entry.answer.at : Infinity;
    if (age < this.maxAgeMs) {
      // A refresh that fails leaves the answer in place; a reader past maxAgeMs tries again and sees the error.
      if (age > this.maxAgeMs / 2 && !entry.refreshing) this.refresh(entry, load).catch(() => undefined);
      return entry.answer!.value;
    }
    return entry.refreshing ?? this.refresh(entry, load);
  }

  /** Forgets the scope's answers, and the ones being fetched. */
  invalidate(scope: string): void {
    for (const [id, entry] of this.entries) if (entry.scope === scope) this.entries.delete(id);
  }

  private refresh(entry: Entry<T>, load: () => Promise<T>): Promise<T> {
    // Aged from when the fetch started: the answer reflects no later than that.
    const at = this.now();
    const refreshing = load().then(
      (value) => {
        entry.answer = { value, at };
        entry.refreshing = undefined;
        return value;
      },
      (err: unknown) => {
        entry.refreshing = undefined;
        throw err;
      },
    );
    entry.refreshing = refreshing;
    return refreshing;
  }

  /** Least recently added goes first when full. */
  private remember(id: string, entry: Entry<T>): void {
    this.entries.set(id, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

interface Entry<T> {
  scope: string;
  answer?: { value: T; at: number };
  refreshing?: Promise<T>;
}
