import type { Api } from '../../src/cli/api.js';
import { CliError } from '../../src/cli/errors.js';
import { follow, progressLine, type OperationView } from '../../src/cli/progress.js';
import { profileSpec } from '../../src/cli/commands/profile.js';
import { networkFlags } from '../../src/cli/commands/cluster.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig, resolveCredentials, writeConfig } from '../../src/cli/config.js';
import { setSyntax } from '../../src/cli/set-values.js';
import { program } from '../../src/cli/main.js';
import { clusterSetFlag, labelChange, mergedValues, nodePoolFlag, selectorSetFlag, setFlag, taintFlag, waveFlag } from '../../src/cli/specs.js';

describe('CLI flags', () => {
  it('reads --nodepool POOL=TYPE:COUNT[:MIN-MAX]', () => {
    expect(nodePoolFlag('web=standard-2:3')).toEqual({ name: 'web', instanceType: 'standard-2', count: 3 });
    expect(nodePoolFlag('web=m5.large:3:1-6')).toEqual({ name: 'web', instanceType: 'm5.large', count: 3, minCount: 1, maxCount: 6 });
    for (const bad of ['web', 'web=standard-2', 'web=standard-2:x', 'web=standard-2:3:6']) expect(() => nodePoolFlag(bad)).toThrow(/POOL=TYPE:COUNT/);
  });

  it('reads --taint KEY[=VALUE]:EFFECT', () => {
    expect(taintFlag('dedicated=gpu:NoSchedule')).toEqual({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
    expect(taintFlag('spot:PreferNoSchedule')).toEqual({ key: 'spot', effect: 'PreferNoSchedule' });
    expect(() => taintFlag('dedicated=gpu:Never')).toThrow(/EFFECT one of/);
  });

  it('types --set values as Helm does and nests dotted keys', () => {
    expect(setFlag('image.tag=2.0')).toEqual({ image: { tag: '2.0' } });
    expect(setFlag('replicas=3')).toEqual({ replicas: 3 });
    expect(setFlag('debug=true')).toEqual({ debug: true });
    expect(setFlag('message=a=b')).toEqual({ message: 'a=b' });
    expect(setFlag('zip=007')).toEqual({ zip: '007' });
    expect(clusterSetFlag('west:message=hello west')).toEqual(['west', { message: 'hello west' }]);
    expect(() => setFlag('=x')).toThrow(/KEY=VALUE/);
  });

  it("reads Helm's whole --set grammar: several pairs, list indexes, list values, escaped dots and commas", () => {
    expect(setFlag('a=1,b=2')).toEqual({ a: 1, b: 2 });
    expect(setFlag('list[0]=x,list[2].name=z')).toEqual({ list: ['x', null, { name: 'z' }] });
    expect(setFlag('matrix[0][1]=x')).toEqual({ matrix: [[null, 'x']] });
    expect(setFlag('nodeSelector.kubernetes\\.io/os=linux')).toEqual({ nodeSelector: { 'kubernetes.io/os': 'linux' } });
    expect(setFlag('hosts={a.example,b.example},port=80')).toEqual({ hosts: ['a.example', 'b.example'], port: 80 });
    expect(setFlag('empty={}')).toEqual({ empty: [] });
    expect(setFlag('msg=a\\,b,n=null,e=')).toEqual({ msg: 'a,b', n: null, e: '' });
    for (const [bad, why] of [
      ['a', /'a' has no '='/],
      ['a=1,b', /'b' has no '='/],
      ['a..b=1', /an empty key segment/],
      ['a[x]=1', /list index must be a whole number/],
      ['a[-1]=1', /list index must be a whole number/],
      ['a[99999999]=1', /larger than 65536/],
      ['a[0]b=1', /after a list index/],
      ['a={x,y', /without '}'/],
      ['[0]=1', /a list index without a key/],
    ] as const) expect(() => setFlag(bad)).toThrow(why);
  });

  it('applies --set-json, --set, --set-string and --set-file over the values files, in Helm\'s order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-set-'));
    const file = join(dir, 'values.yaml');
    writeFileSync(file, 'image: { tag: "1.0", repo: web }\nports: [80, 443]\n');
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\n');
    const values = mergedValues([file], {
      set: ['ports[1]=8443,image.tag=2.0', 'replicas=3'],
      setString: ['replicas=3,debug=true'],
      setJson: ['resources={"limits":{"cpu":"1","memory":"1Gi"}},tolerations=[{"key":"a","operator":"Exists"}]'],
      setFile: ['tls.cert=' + cert],
    });
    expect(values).toEqual({
      image: { tag: '2.0', repo: 'web' },
      ports: [80, 8443],
      replicas: '3', // --set-string after --set
      debug: 'true',
      resources: { limits: { cpu: '1', memory: '1Gi' } },
      tolerations: [{ key: 'a', operator: 'Exists' }],
      tls: { cert: '-----BEGIN CERTIFICATE-----\n' },
    });
    expect(() => setSyntax('json')('a={oops')).toThrow(/not JSON/);
    expect(() => mergedValues([], { setFile: ['x=' + join(dir, 'missing')] })).toThrow(/cannot read/);
  });

  it('reads a selector override: kubectl selector syntax up to the first colon, then a --set', () => {
    expect(selectorSetFlag('tier=gold,env in (prod,stage):url=http://proxy:3128')).toEqual({
      selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }, { key: 'env', operator: 'In', values: ['prod', 'stage'] }] },
      values: { url: 'http://proxy:3128' },
    });
    expect(() => selectorSetFlag('replicas=3')).toThrow(/SELECTOR:KEY=VALUE/);
    expect(() => selectorSetFlag('tier=:x=1')).not.toThrow();
    expect(() => selectorSetFlag('a b:x=1')).toThrow(/after a/);
  });

  it('builds a profile from its flags', () => {
    expect(
      profileSpec({
        provider: 'eks',
        selector: 'network=private',
        lbAnnotation: [['service.beta.kubernetes.io/aws-load-balancer-scheme', 'internal']],
        serviceAnnotation: [['team', 'platform']],
        storageClass: [['fast', 'gp3']],
        httpProxy: 'http://proxy:3128',
        proxyExclude: '10.0.0.0/8',
        proxySelector: 'proxied',
      }),
    ).toEqual({
      provider: 'eks',
      clusterSelector: { matchExpressions: [{ key: 'network', operator: 'In', values: ['private'] }] },
      serviceAnnotations: [{ annotations: { team: 'platform' } }, { serviceSelector: { type: 'LoadBalancer' }, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } }],
      storageClasses: { fast: 'gp3' },
      proxy: { httpProxy: 'http://proxy:3128', noProxy: '10.0.0.0/8', clusterSelector: { matchExpressions: [{ key: 'proxied', operator: 'Exists', values: [] }] } },
    });
  });

  it('builds a cluster’s network from its flags, over the file’s', () => {
    expect(networkFlags(undefined, {})).toEqual({});
    expect(
      networkFlags(undefined, { privateEndpoint: true, httpProxy: 'http://p:3128', proxyExclude: [['10.0.0.0/8', '.corp'], ['localhost']], proxyCa: 'sec-00000000000000ca', proxyCredentials: 'sec-0000000000000c4e' }),
    ).toEqual({
      network: {
        privateEndpoint: true,
        httpProxy: { httpProxy: 'http://p:3128', noProxy: ['10.0.0.0/8', '.corp', 'localhost'], trustedCaSecretId: 'sec-00000000000000ca', credentialsSecretId: 'sec-0000000000000c4e' },
      },
    });
    // A flag replaces the file's field of the same name and keeps the others.
    expect(networkFlags({ privateEndpoint: true, httpProxy: { httpProxy: 'http://old:1', noProxy: ['.svc'] } }, { httpsProxy: 'http://p:3129', httpProxy: 'http://new:2' })).toEqual({
      network: { privateEndpoint: true, httpProxy: { httpProxy: 'http://new:2', httpsProxy: 'http://p:3129', noProxy: ['.svc'] } },
    });
  });

  it('reads cluster label changes as kubectl label does: KEY=VALUE sets, KEY- removes', () => {
    expect(labelChange('tier=gold')).toEqual(['tier', 'gold']);
    expect(labelChange('example.com/owner=team-a')).toEqual(['example.com/owner', 'team-a']);
    expect(labelChange('canary-')).toEqual(['canary', null]);
    expect(labelChange('suffix=ends-')).toEqual(['suffix', 'ends-']);
    expect(labelChange('empty=')).toEqual(['empty', '']);
    expect(() => labelChange('tier')).toThrow(/KEY=VALUE/);
  });

  it('reads --wave as clusters, a share, or a label selector', () => {
    expect(waveFlag('east,west')).toEqual({ clusters: ['east', 'west'] });
    expect(waveFlag('25%')).toEqual({ percent: 25 });
    expect(waveFlag('selector:tier=gold,!canary')).toEqual({
      selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }, { key: 'canary', operator: 'DoesNotExist', values: [] }] },
    });
    expect(() => waveFlag('east,')).toThrow(/CLUSTER/);
    expect(() => waveFlag('selector:tier in (')).toThrow();
  });
});

describe('following a rollout', () => {
  it('prints the wave, its targets and what it waits for', () => {
    const op: OperationView = {
      id: 'deployment.fleet.web.2',
      type: 'apply',
      state: 'RUNNING',
      release: 'web',
      rollout: {
        waves: [
          { state: 'HEALTHY', targets: [{ clusterName: 'east', health: 'HEALTHY' }] },
          { state: 'PENDING', targets: [{ clusterName: 'west', health: 'PENDING' }] },
        ],
        current: 1,
        paused: false,
        awaitingApproval: true,
        aborted: false,
      },
    };
    expect(progressLine(op)).toBe('apply web: wave 2/2 PENDING: west PENDING, waiting for approval (deploy rollout approve)');
  });
});

describe('following an operation on a terminal', () => {
  const running = (done: number, current: string): OperationView => ({
    id: 'cluster.demo.1',
    type: 'provision',
    state: 'RUNNING',
    cluster: 'demo',
    totalSteps: 4,
    currentStep: current,
    steps: [...Array.from({ length: done }, (_, i) => ({ name: `step ${i}`, state: 'DONE' })), { name: current, state: 'RUNNING' }],
  });
  const links = { run: 'http://ui/namespaces/default/workflows/cluster%2Facme%2Fdemo%2Fprovision' };

  function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
    let text = '';
    const stream = { isTTY: true, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
    return { stream, text: () => text };
  }
  const apiAnswering = (ops: OperationView[]) => ({ inOrg: async () => ops.shift() }) as unknown as Api;

  it('redraws one line in place, then prints the result, the outcome and the Web UI link', async () => {
    const ops = [running(0, 'ensure network'), running(0, 'ensure network'), running(2, 'await control plane'), { ...running(3, 'x'), state: 'SUCCEEDED' as const, steps: Array(4).fill({ name: 's', state: 'DONE' }), currentStep: undefined, links }];
    const { stream, text } = terminal();
    const printed: string[] = [];
    await follow(apiAnswering(ops), 'cluster.demo.1', async () => void printed.push(text()), stream);
    const redraw = '\r\x1b[2K';
    const progress = `${redraw}provision demo: 0/4 steps, ensure network${redraw}provision demo: 2/4 steps, await control plane${redraw}provision demo: 4/4 steps\n`;
    expect(text()).toBe(`${progress}SUCCEEDED: provision demo (4 steps)\nTemporal Web UI: ${links.run}\n`);
    // The result is printed after the progress line ends and before the outcome.
    expect(printed).toEqual([progress]);
  });

  it('ends a failed operation with its error and link, as exit code 4', async () => {
    const failed: OperationView = { ...running(1, 'create control plane'), state: 'FAILED', error: 'create control plane failed: quota', links };
    const { stream, text } = terminal();
    const error = await follow(apiAnswering([failed]), 'cluster.demo.1', undefined, stream).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(4);
    expect(text().split('\n').slice(-3)).toEqual(['FAILED: provision demo: create control plane failed: quota', `Temporal Web UI: ${links.run}`, '']);
  });
});

describe('credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-creds-'));
  const path = join(dir, 'config.json');
  const saved = { url: 'http://saved', token: 'saved-token', org: 'acme' };

  it('reads a config from before contexts as the context default', () => {
    writeFileSync(path, JSON.stringify(saved));
    expect(readConfig(path)).toEqual({ currentContext: 'default', contexts: { default: saved } });
  });

  it('takes --context over $FLOTILLA_CONTEXT over the current context, and the environment over the saved URL and token', () => {
    writeConfig({ currentContext: 'a', contexts: { a: saved, b: { ...saved, url: 'http://b', org: 'beta' } } }, path);
    expect(resolveCredentials({}, {}, path)).toEqual(saved);
    expect(resolveCredentials({}, { FLOTILLA_CONTEXT: 'b' }, path)).toMatchObject({ url: 'http://b', org: 'beta' });
    expect(resolveCredentials({ context: 'a' }, { FLOTILLA_CONTEXT: 'b' }, path)).toMatchObject({ url: 'http://saved' });
    // Another token: whose org it is, the API says, not the saved login.
    expect(resolveCredentials({}, { FLOTILLA_TOKEN: 'other' }, path)).toEqual({ url: 'http://saved', token: 'other' });
    expect(resolveCredentials({}, { FLOTILLA_URL: 'http://env', FLOTILLA_TOKEN: 't' }, join(dir, 'none.json'))).toEqual({ url: 'http://env', token: 't' });
    expect(() => resolveCredentials({}, { FLOTILLA_URL: 'http://env' }, join(dir, 'none.json'))).toThrow(/not logged in/);
    expect(() => resolveCredentials({ context: 'c' }, {}, path)).toThrow(/no context 'c'.*saved: a, b/);
  });
});

describe('help examples', () => {
  // The commands a newcomer reaches for first end their help with examples, as kubectl's and helm's do;
  // every flag an example uses is one the command (or the root) takes, so the examples cannot rot.
  const paths = [
    ['cluster', 'create'], ['cluster', 'list'], ['cluster', 'label'], ['cluster', 'cost'], ['cluster', 'kubeconfig'],
    ['group', 'create'], ['deploy', 'create'], ['deploy', 'rollout'], ['nodepool', 'scale'], ['profile', 'create'],
    ['recommend'], ['kubernetes-versions'], ['login'], ['completion'],
  ];
  it.each(paths.map((p) => [p.join(' '), p]))('flotilla %s --help ends with examples that use its own flags', (_name, path) => {
    const root = program();
    const command = path.reduce((c, name) => c.commands.find((sub) => sub.name() === name)!, root);
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    const block = help.slice(help.indexOf('\nExamples:\n'));
    expect(block.length).toBeGreaterThan('\nExamples:\n'.length);
    const known = new Set([...command.options, ...root.options].flatMap((o) => [o.long, o.short].filter(Boolean)));
    const lines = block.split('\n').slice(2).filter((l) => l.trim().startsWith('flotilla '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      for (const flag of line.split(/\s+/).filter((w) => /^--?[a-z]/.test(w))) expect([line, known.has(flag.split('=')[0]!)]).toEqual([line, true]);
    }
  });
});
