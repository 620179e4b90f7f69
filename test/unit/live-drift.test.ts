import { driftReason, objectDrift, type ManifestObject } from '../../src/domain/live-drift.js';
import { manifestObjects } from '../../src/adapters/helm/live-objects.js';

const rendered: ManifestObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    paused: false,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'hello', image: 'example/hello:1.0', args: [], resources: { requests: { cpu: 0.5, memory: '1Gi' } }, ports: [{ containerPort: '8080' }] }] },
    },
  },
};

// What the API server answers for it: defaults, status, Helm's annotations, quantities rewritten, empty fields left out.
const live = (): ManifestObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', uid: 'u-1', labels: { app: 'web' }, annotations: { 'meta.helm.sh/release-name': 'web' } },
  spec: {
    replicas: 1,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'hello', image: 'example/hello:1.0', imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '500m', memory: '1024Mi' } }, ports: [{ containerPort: 8080, protocol: 'TCP' }] }],
        restartPolicy: 'Always',
      },
    },
  },
  status: { replicas: 1 },
});

describe('live drift', () => {
  it('is not drift: server defaults, status, Helm annotations, empty fields left out, quantities and int-or-string rewritten', () => {
    expect(objectDrift(rendered, live(), 'Deployment apps/web')).toBeUndefined();
  });

  it('names the object and the first changed field with both values, and counts the others', () => {
    const edited = live() as any;
    edited.spec.replicas = 3;
    edited.spec.template.spec.containers[0].image = 'example/hello:tampered';
    expect(objectDrift(rendered, edited, 'Deployment apps/web')).toEqual({
      object: 'Deployment apps/web',
      change: 'spec.replicas is 3, the chart says 1',
      fields: 2,
    });
    const image = live() as any;
    image.spec.template.spec.containers[0].image = 'example/hello:tampered';
    expect(objectDrift(rendered, image, 'Deployment apps/web')!.change).toBe('spec.template.spec.containers[0].image is "example/hello:tampered", the chart says "example/hello:1.0"');
  });

  it('sees a deleted object, a removed label and a list that lost an item', () => {
    expect(objectDrift(rendered, undefined, 'Deployment apps/web')).toEqual({ object: 'Deployment apps/web', change: 'deleted', fields: 0 });
    const unlabelled = live() as any;
    delete unlabelled.metadata.labels;
    expect(objectDrift(rendered, unlabelled, 'x')!.change).toBe('metadata.labels is absent, the chart says {"app":"web"}');
    const shorter = live() as any;
    shorter.spec.template.spec.containers = [];
    expect(objectDrift(rendered, shorter, 'x')!.change).toBe('spec.template.spec.containers is "0 items", the chart says "1 items"');
  });

  it("compares a Secret's stringData as the data the server stores, and never shows its values", () => {
    const secret: ManifestObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } };
    const stored = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { password: Buffer.from('hunter2').toString('base64') } };
    expect(objectDrift(secret, stored, 'Secret apps/s')).toBeUndefined();
    const changed = objectDrift(secret, { ...stored, data: { password: Buffer.from('other').toString('base64') } }, 'Secret apps/s')!;
    expect(changed.change).toBe('data.password changed');
    expect(JSON.stringify(changed)).not.toContain(Buffer.from('hunter2').toString('base64'));
  });

  it('reads the objects of a Helm manifest, skipping empty documents', () => {
    const manifest = '---\n# Source: hello/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  message: "hi"\n---\n# empty\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: other\n';
    expect(manifestObjects(manifest).map((o) => [o.kind, o.metadata.name, o.metadata.namespace])).toEqual([
      ['ConfigMap', 'web-config', undefined],
      ['Deployment', 'web', 'other'],
    ]);
  });

  it('gives one reason naming the objects, a few at most', () => {
    const drifts = ['a', 'b', 'c', 'd'].map((n) => ({ object: `ConfigMap apps/${n}`, change: 'deleted', fields: 0 }));
    expect(driftReason(drifts.slice(0, 1))).toBe('live objects differ from the chart: ConfigMap apps/a: deleted');
    expect(driftReason([{ object: 'Deployment apps/web', change: 'spec.replicas is 3, the chart says 1', fields: 2 }, ...drifts])).toBe(
      'live objects differ from the chart: Deployment apps/web: spec.replicas is 3, the chart says 1 (+1 more fields); ConfigMap apps/a: deleted; ConfigMap apps/b: deleted; +2 more objects',
    );
  });
});
