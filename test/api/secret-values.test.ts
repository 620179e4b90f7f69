import { SimCloud } from '../../src/adapters/providers/sim/index.js';
import { markedKubeconfig, MARKED_SECRETS, secretsIn, SECRET_MARKERS } from '../helpers/secret-markers.js';
import { startStack, type Stack } from '../helpers/stack.js';

// Credentials go into the API and never come out: no answer, success or
// error, carries a secret's values.
const base = '/api/v1/orgs/acme';
let stack: Stack;
const answers: { what: string; text: string }[] = [];

beforeAll(async () => {
  stack = await startStack({ providers: { sim: new SimCloud({ latencyMs: 5 }).activities() } });
});
afterAll(async () => {
  await stack?.stop();
});

async function call(what: string, method: string, path: string, body?: unknown) {
  const res = await stack.api(method, `${base}${path}`, body === undefined ? {} : { body });
  answers.push({ what, text: res.text });
  return res;
}

describe('secret values', () => {
  const ids: Record<string, string> = {};

  it.each(Object.entries(MARKED_SECRETS))('a %s secret is answered with its metadata only', async (type, values) => {
    const created = await call(`POST ${type}`, 'POST', '/secrets', { name: `marked-${type}`, type, values });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'id', 'name', 'type']);
    ids[type] = created.body.id;
  });

  it('lists secrets by metadata only', async () => {
    const list = await call('GET /secrets', 'GET', '/secrets');
    for (const item of list.body.items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'name', 'type']);
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['marked-aws', 'marked-azure', 'marked-gcp']));
  });

  it('refuses bad secrets without repeating their values', async () => {
    expect((await call('duplicate', 'POST', '/secrets', { name: 'marked-aws', type: 'aws', values: MARKED_SECRETS.aws })).status).toBe(409);
    const unknownField = await call('unknown field', 'POST', '/secrets', { name: 'x', type: 'aws', values: { ...MARKED_SECRETS.aws, extra: SECRET_MARKERS.awsSessionToken } });
    expect(unknownField.status).toBe(400);
    const wrongShape = await call('wrong shape', 'POST', '/secrets', { name: 'x', type: 'azure', values: MARKED_SECRETS.aws });
    expect(wrongShape.status).toBe(400);
    const tooLong = await call('too long', 'POST', '/secrets', { name: 'x', type: 'aws', values: { ...MARKED_SECRETS.aws, accessKeyId: SECRET_MARKERS.awsSecretAccessKey.repeat(10_000) } });
    expect(tooLong.status).toBe(400);
    const unreachable = await call('unreachable kubeconfig', 'POST', '/secrets', { name: 'k', type: 'kubeconfig', values: { kubeconfig: markedKubeconfig() } });
    expect([unreachable.status, unreachable.body.error.details[0].field]).toEqual([400, 'values.kubeconfig.clusters[0].cluster.server']);
    const broken = await call('broken kubeconfig', 'POST', '/secrets', {
      name: 'k',
      type: 'kubeconfig',
      // The YAML parser quotes the lines around a syntax error.
      values: { kubeconfig: `apiVersion: v1\nkind: Config\nusers:\n- name: x\n  user:\n    token: "${SECRET_MARKERS.shortToken}\n` },
    });
    expect([broken.status, broken.body.error.details[0].field]).toEqual([400, 'values.kubeconfig']);
  });

  it('answers a cluster that names a secret of the wrong type without its values', async () => {
    const res = await call('wrong secret type', 'POST', '/clusters', { name: 'marked', provider: 'sim', secretId: ids.aws, nodePools: [{ name: 'a', instanceType: 'standard-2', count: 1 }] });
    expect([res.status, res.body.error.details[0].field]).toEqual([400, 'secretId']);
  });

  it('of concurrent creates of one name, answers 201 to one and 409 naming the name to the others', async () => {
    const raced = await Promise.all(Array.from({ length: 20 }, () => call('concurrent create', 'POST', '/secrets', { name: 'raced', type: 'aws', values: MARKED_SECRETS.aws })));
    expect(raced.map((res) => res.status).sort()).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const res of raced.filter((r) => r.status === 409)) expect(res.body.error).toMatchObject({ code: 'conflict', message: "a secret named 'raced' already exists" });
    expect((await call('GET /secrets', 'GET', '/secrets')).body.items.filter((s: { name: string }) => s.name === 'raced')).toHaveLength(1);
    ids.raced = raced.find((res) => res.status === 201)!.body.id;
  });

  it('deletes secrets', async () => {
    for (const id of Object.values(ids)) expect((await call('DELETE', 'DELETE', `/secrets/${id}`)).status).toBe(204);
  });

  it('never put a secret value in any answer', () => {
    expect(answers.length).toBeGreaterThanOrEqual(12);
    expect(answers.map(({ what, text }) => [what, secretsIn(text)]).filter(([, found]) => found!.length)).toEqual([]);
  });
});
