import { startStack, type Stack } from '../helpers/stack.js';

// Past its capacity for accepts the API answers 429 with Retry-After at once (docs/api.md#limits).
// Capacity 0 makes every accept past capacity, so nothing here depends on timing.
let stack: Stack;
const base = '/api/v1/orgs/acme';

beforeAll(async () => {
  stack = await startStack({ providers: {}, acceptCapacity: 0 });
});
afterAll(() => stack?.stop());

it('answers every accept past capacity with 429, Retry-After and a JSON error; reads go on', async () => {
  const accepts: [string, string, unknown?][] = [
    ['PUT', `${base}/clusters/any/nodepools/web`, { count: 2 }],
    ['POST', `${base}/clusters/any/nodepools`, { name: 'gpu', instanceType: 'gpu-8', count: 1 }],
    ['DELETE', `${base}/clusters/any/nodepools/web`],
    ['DELETE', `${base}/clusters/any`],
  ];
  for (const [method, path, body] of accepts) {
    const res = await stack.api(method, path, body === undefined ? {} : { body });
    expect([method, path, res.status, res.headers.get('retry-after')]).toEqual([method, path, 429, '1']);
    expect(res.body.error).toEqual({ code: 'busy', message: expect.stringContaining('FLOTILLA_ACCEPT_CAPACITY'), details: [], retryAfterSeconds: 1 });
  }
  // Bad input is still a 400 naming the field: validation comes before the gate.
  const bad = await stack.api('PUT', `${base}/clusters/any/nodepools/web`, { body: { count: -1 } });
  expect([bad.status, bad.body.error.details.map((d: any) => d.field)]).toEqual([400, ['count']]);
  expect((await stack.api('GET', `${base}/clusters/any`)).status).toBe(404);
});
