import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { run } from '../../src/adapters/exec.js';
import { postRendererArgs } from '../../src/adapters/helm/helm.js';
import { postRender } from '../../src/adapters/helm/post-renderer.js';
import { clusterLabels } from '../../src/domain/cluster-labels.js';
import { clusterRef, withDefaults, type ClusterRef } from '../../src/domain/cluster.js';
import { postRenderRules, profilesChanged, profilesFor, type Profile, type PostRenderRules } from '../../src/domain/profiles.js';
import { toolPaths } from '../../src/toolchain.js';

// The post-renderer on what helm really renders from test/fixtures/charts/profiled.
const chart = fileURLToPath(new URL('../fixtures/charts/profiled', import.meta.url));
const rendered = () => run(toolPaths().helm, ['template', 'r1', chart, '--namespace', 'apps']);
const byKindName = (yaml: string) => {
  const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS()).filter(Boolean) as any[];
  return Object.fromEntries(docs.map((d) => [`${d.kind}/${d.metadata.name}`, d]));
};
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));

const aws: Profile = {
  name: 'aws-private',
  version: 2,
  updatedAt: '2026-12-06T00:00:00Z',
  provider: 'eks',
  serviceAnnotations: [
    { serviceSelector: { type: 'LoadBalancer' }, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' } },
    { serviceSelector: { matchLabels: { exposure: 'internal' } }, annotations: { team: 'platform' } },
  ],
  storageClasses: { fast: 'gp3' },
  // The label Flotilla sets on clusters created with network.httpProxy.
  proxy: { clusterSelector: { matchLabels: { 'flotilla.io/http-proxy': 'true' } }, httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3128', noProxy: '10.0.0.0/8' },
};
/** A cluster as the API creates it, behind a proxy: its spec has no label saying so, its network does. */
const proxied = clusterRef(
  'acme',
  withDefaults({ name: 'east', provider: 'eks', network: { httpProxy: { httpProxy: 'http://corp-proxy:3128', noProxy: ['.corp'] } }, nodePools: [] }),
);
const rules: PostRenderRules = postRenderRules([aws], proxied)!;

describe('the post-renderer on a rendered chart', () => {
  it('annotates the Services a rule picks, maps claims’ storage classes, injects the proxy into every pod template', async () => {
    const out = byKindName(postRender(await rendered(), rules));
    expect(out['Service/r1-public'].metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
    // The ClusterIP Service is not a LoadBalancer; its labels pick it for the second rule; its own annotation stays.
    expect(out['Service/r1-metrics'].metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', team: 'platform' });
    expect(out['PersistentVolumeClaim/r1-data'].spec.storageClassName).toBe('gp3');
    expect(out['PersistentVolumeClaim/r1-scratch'].spec.storageClassName).toBe('standard');
    expect(out['StatefulSet/r1-db'].spec.volumeClaimTemplates[0].spec.storageClassName).toBe('gp3');
    const proxy = { HTTP_PROXY: 'http://proxy:3128', HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '10.0.0.0/8' };
    const web = out['Deployment/r1'].spec.template.spec;
    expect(envOf(web.containers[0])).toEqual({ MODE: 'web', ...proxy });
    expect(envOf(web.initContainers[0])).toEqual(proxy);
    // The chart's own NO_PROXY is the chart's.
    expect(envOf(out['StatefulSet/r1-db'].spec.template.spec.containers[0])).toEqual({ ...proxy, NO_PROXY: 'db.local' });
    expect(envOf(out['CronJob/r1-backup'].spec.jobTemplate.spec.template.spec.containers[0])).toEqual(proxy);
  });

  it('is what helm runs with --post-renderer: our launcher on the project’s Node, the rules a JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-post-render-'));
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(rules));
    const out = byKindName(await run(toolPaths().helm, ['template', 'r1', chart, '--namespace', 'apps', ...postRendererArgs(file)]));
    expect(out['Service/r1-public'].metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
    expect(out['PersistentVolumeClaim/r1-data'].spec.storageClassName).toBe('gp3');
    // A broken rules file fails the render, with the post-renderer's words.
    writeFileSync(file, '{');
    await expect(run(toolPaths().helm, ['template', 'r1', chart, ...postRendererArgs(file)])).rejects.toThrow(/flotilla post-renderer/);
  });

  it('leaves the proxy out on clusters whose labels do not say they sit behind one', async () => {
    expect(clusterLabels(proxied)).toMatchObject({ 'flotilla.io/http-proxy': 'true' });
    // A private endpoint alone is no proxy.
    const open = postRenderRules([aws], { org: 'acme', name: 'west', provider: 'eks', region: 'us-east-1', kubernetesVersion: '1.35', network: { privateEndpoint: true } })!;
    expect(open.proxyEnv).toEqual([]);
    const out = byKindName(postRender(await rendered(), open));
    expect(envOf(out['Deployment/r1'].spec.template.spec.containers[0])).toEqual({ MODE: 'web' });
    expect(out['PersistentVolumeClaim/r1-data'].spec.storageClassName).toBe('gp3');
  });
});

describe('which profiles apply, and when a target is stale for them', () => {
  const target = (provider: ClusterRef['provider'], labels: Record<string, string> = {}): ClusterRef => ({ org: 'acme', name: 'c', provider, region: 'r', kubernetesVersion: '1.35', labels });
  const gcp: Profile = { name: 'gcp', version: 1, updatedAt: '', provider: 'gke', clusterSelector: { matchLabels: { network: 'private' } }, storageClasses: { fast: 'premium-rwo' } };
  const base: Profile = { name: 'a-base', version: 4, updatedAt: '', provider: 'gke', storageClasses: { fast: 'standard-rwo' } };

  it('by provider, then by the cluster selector; in name order, so a later profile wins', () => {
    expect(profilesFor([gcp, aws, base], target('gke', { network: 'private' })).map((p) => p.name)).toEqual(['a-base', 'gcp']);
    expect(profilesFor([gcp, aws, base], target('gke')).map((p) => p.name)).toEqual(['a-base']);
    expect(profilesFor([gcp, aws, base], target('kwok'))).toEqual([]);
    expect(postRenderRules(profilesFor([gcp, base], target('gke', { network: 'private' })), target('gke', { network: 'private' }))!.storageClasses).toEqual({ fast: 'premium-rwo' });
    expect(postRenderRules([], target('gke'))).toBeUndefined();
  });

  it('a new version, a profile that starts or stops applying: stale, saying which', () => {
    expect(profilesChanged([{ name: 'gcp', version: 1 }], [{ name: 'gcp', version: 1 }])).toBeUndefined();
    expect(profilesChanged([{ name: 'gcp', version: 1 }], [{ name: 'gcp', version: 2 }])).toBe('provider profiles changed: applied [gcp@v1], now [gcp@v2]');
    expect(profilesChanged([], [{ name: 'gcp', version: 1 }])).toBe('provider profiles changed: applied [], now [gcp@v1]');
    expect(profilesChanged([{ name: 'gcp', version: 1 }], [])).toMatch(/now \[\]$/);
  });
});
