import { startStack, TOKENS, type Stack } from '../helpers/stack.js';

// The per-token rate limit, on the real API. The limit refills one request an
// hour, so nothing here depends on how fast the machine is.

const burst = 5;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providers: {}, rateLimit: { requests: 1, seconds: 3600, burst } });
});
afterAll(() => stack?.stop());

it('answers a token past its burst with 429, Retry-After and a JSON error; other tokens go on', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < burst + 3; i++) statuses.push((await stack.api('GET', '/api/v1/orgs/acme/secrets')).status);
  expect(statuses).toEqual([...Array(burst).fill(200), 429, 429, 429]);

  const limited = await stack.api('GET', '/api/v1/orgs/acme/clusters');
  expect(limited.status).toBe(429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  expect(limited.body.error).toEqual({
    code: 'rate_limited',
    message: expect.stringContaining('FLOTILLA_RATE_LIMIT'),
    details: [],
    retryAfterSeconds: retryAfter,
  });

  // Another token has its own bucket; a bad token is refused by auth, not counted.
  expect((await stack.api('GET', '/api/v1/orgs/globex/secrets', { token: TOKENS.globex })).status).toBe(200);
  expect((await stack.api('GET', '/api/v1/orgs/acme/secrets', { token: 'not-a-token' })).status).toBe(401);
  // The scheme's case does not make a new bucket.
  expect((await stack.api('GET', '/api/v1/orgs/acme/secrets', { token: '', headers: { authorization: `bearer ${TOKENS.acme}` } })).status).toBe(429);
});

it('floods: of 200 concurrent requests on one token only the burst gets through', async () => {
  const responses = await Promise.all(Array.from({ length: 200 }, () => stack.api('GET', '/api/v1/whoami', { token: TOKENS.fuzz })));
  const count = (status: number) => responses.filter((r) => r.status === status).length;
  expect([count(200), count(429)]).toEqual([burst, 200 - burst]);
  expect(responses.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) > 0)).toBe(true);
});

it('never limits what needs no token: health, readiness and the document answer a token past its burst', async () => {
  const token = TOKENS.cli;
  for (let i = 0; i < burst; i++) await stack.api('GET', '/api/v1/whoami', { token });
  expect((await stack.api('GET', '/api/v1/whoami', { token })).status).toBe(429);
  for (const path of ['/healthz', '/readyz', '/openapi.json']) expect([path, (await stack.api('GET', path, { token })).status]).toEqual([path, 200]);
});
