import { randomBytes } from 'node:crypto';
import { eventually, fieldsOf, type Stack, startStack, testSecretStore } from '../helpers/stack.js';

// API replicas behind one load balancer: a list's next page may come from
// another replica than its first. Two APIs with the run's keys, as every test
// API has, and one with keys of its own; the secret store is shared, as
// replicas share it.

const base = '/api/v1/orgs/acme';
let one: Stack;
let two: Stack;
let stranger: Stack;

beforeAll(async () => {
  const secrets = testSecretStore();
  [one, two, stranger] = await Promise.all([
    startStack({ providers: {}, secrets }),
    startStack({ providers: {}, secrets }),
    startStack({ providers: {}, secrets, cursorKeys: [randomBytes(32)] }),
  ]);
});
afterAll(() => Promise.all([one, two, stranger].map((stack) => stack?.stop())));

/** Page 1 from `one`; page 2 through `two` and `stranger` with its cursor. */
async function secondPages(list: string) {
  const first = await one.api('GET', `${list}?limit=1`);
  expect([first.status, typeof first.body.nextCursor]).toEqual([200, 'string']);
  const next = `${list}?limit=1&cursor=${first.body.nextCursor}`;
  return { first: first.body.items, onTwo: await two.api('GET', next), onStranger: await stranger.api('GET', next) };
}

it("takes a cursor of one replica on another with the same keys; one with other keys refuses it with a 400 naming cursor", async () => {
  for (const name of ['rep-a', 'rep-b']) expect((await one.api('POST', `${base}/secrets`, { body: { name, type: 'aws', values: { accessKeyId: 'AKIA', secretAccessKey: 's' } } })).status).toBe(201);
  const { first, onTwo, onStranger } = await secondPages(`${base}/secrets`);
  expect(onTwo.status).toBe(200);
  expect(onTwo.body.items).toHaveLength(1);
  expect(onTwo.body.items).not.toEqual(first);
  expect([onStranger.status, fieldsOf(onStranger)]).toEqual([400, ['cursor']]);
});

it("does so for a list from Temporal's visibility store too, whose cursor wraps Temporal's page token", async () => {
  for (const name of ['rep-a', 'rep-b']) expect((await one.api('POST', `${base}/clustergroups`, { body: { name, members: [] } })).status).toBe(201);
  // Visibility is eventually consistent: wait until both groups are listed.
  const listed = async () => (await one.api('GET', `${base}/clustergroups?limit=500`)).body.items.filter((g: { name: string }) => g.name.startsWith('rep-')).length;
  await eventually(async () => ((await listed()) === 2 ? true : undefined), 'both groups listed');
  const { first, onTwo, onStranger } = await secondPages(`${base}/clustergroups`);
  expect(onTwo.status).toBe(200);
  expect(onTwo.body.items).toHaveLength(1);
  expect(onTwo.body.items[0].name).not.toBe(first[0].name);
  expect([onStranger.status, fieldsOf(onStranger)]).toEqual([400, ['cursor']]);
});
