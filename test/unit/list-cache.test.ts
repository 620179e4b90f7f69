import { ListCache } from '../../src/api/list-cache.js';

/** A list source that counts its loads and answers with the load's number once released. */
function source() {
  let loads = 0;
  const pending: (() => void)[] = [];
  return {
    get loads() {
      return loads;
    },
    load: () => {
      const n = ++loads;
      return new Promise<string>((resolve) => pending.push(() => resolve(`answer ${n}`)));
    },
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

describe('ListCache', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  /** A cache holding the source's first answer, loaded at time 0. */
  async function primed(src: ReturnType<typeof source>): Promise<ListCache<string>> {
    const cache = new ListCache<string>(1000, 10, now);
    const first = cache.get('acme', 'q', src.load);
    src.release();
    await first;
    return cache;
  }

  it('shares one load between readers, at once and for up to half its age', async () => {
    const cache = new ListCache<string>(1000, 10, now);
    const src = source();
    const first = [cache.get('acme', 'q', src.load), cache.get('acme', 'q', src.load)];
    src.release();
    expect(await Promise.all(first)).toEqual(['answer 1', 'answer 1']);
    clock = 400;
    expect(await cache.get('acme', 'q', src.load)).toBe('answer 1');
    expect(src.loads).toBe(1);
  });

  it('refreshes in the background past half its age, serving the answer it has meanwhile', async () => {
    const src = source();
    const cache = await primed(src);
    clock = 600;
    expect(await cache.get('acme', 'q', src.load)).toBe('answer 1');
    expect(await cache.get('acme', 'q', src.load)).toBe('answer 1');
    expect(src.loads).toBe(2);
    src.release();
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('acme', 'q', src.load)).toBe('answer 2');
  });

  it('never serves an answer older than its age: past it, readers wait for a new load', async () => {
    const src = source();
    const cache = await primed(src);
    clock = 1000;
    const late = cache.get('acme', 'q', src.load);
    let settled = false;
    void late.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    src.release();
    expect(await late).toBe('answer 2');
  });

  it("drops an org's answers on invalidate, and only that org's", async () => {
    const cache = new ListCache<string>(1000, 10, now);
    const src = source();
    const first = [cache.get('acme', 'q', src.load), cache.get('globex', 'q', src.load)];
    src.release();
    await Promise.all(first);
    cache.invalidate('acme');
    const again = [cache.get('acme', 'q', src.load), cache.get('globex', 'q', src.load)];
    src.release();
    expect(await Promise.all(again)).toEqual(['answer 3', 'answer 2']);
  });

  it('keeps no failure: the next reader loads again', async () => {
    const cache = new ListCache<string>(1000, 10, now);
    await expect(cache.get('acme', 'q', () => Promise.reject(new Error('unavailable')))).rejects.toThrow('unavailable');
    await expect(cache.get('acme', 'q', () => Promise.resolve('fine'))).resolves.toBe('fine');
  });

  it('holds at most maxEntries lists, forgetting the oldest', async () => {
    const cache = new ListCache<string>(1000, 2, now);
    for (const key of ['a', 'b', 'c']) await cache.get('acme', key, () => Promise.resolve(`${key} 1`));
    expect(await cache.get('acme', 'a', () => Promise.resolve('a 2'))).toBe('a 2');
    expect(await cache.get('acme', 'c', () => Promise.resolve('c 2'))).toBe('c 1');
  });

  it('shares nothing with an age of 0', async () => {
    const cache = new ListCache<string>(0, 10, now);
    const src = source();
    const reads = [cache.get('acme', 'q', src.load), cache.get('acme', 'q', src.load)];
    src.release();
    expect(await Promise.all(reads)).toEqual(['answer 1', 'answer 2']);
  });
});
