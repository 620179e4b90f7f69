import { AcceptGate } from '../../src/api/accept-gate.js';
import { HttpError } from '../../src/api/errors.js';

// The API's bound on accepts in flight (docs/api.md#limits), driven by accepts held open by hand.
it('refuses past its capacity with 429 and a retry delay, and takes requests again once one finishes', async () => {
  const gate = new AcceptGate(2);
  const release: (() => void)[] = [];
  const held = () => gate.run(() => new Promise<string>((resolve) => release.push(() => resolve('done'))));
  const first = held();
  const second = held();
  const refused = await gate.run(async () => 'never').catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(HttpError);
  expect(refused).toMatchObject({ status: 429, code: 'busy', extra: { retryAfterSeconds: 1 } });
  expect((refused as HttpError).message).toMatch(/FLOTILLA_ACCEPT_CAPACITY/);

  release[0]!();
  expect(await first).toBe('done');
  const third = held();
  release[1]!();
  release[2]!();
  expect([await second, await third]).toEqual(['done', 'done']);
});

it('frees its place when an accept fails', async () => {
  const gate = new AcceptGate(1);
  await expect(gate.run(async () => Promise.reject(new Error('temporal said no')))).rejects.toThrow('temporal said no');
  expect(await gate.run(async () => 'next')).toBe('next');
});
