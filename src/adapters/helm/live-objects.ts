import { KubeConfig, KubernetesObjectApi, type V1APIResourceList } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { answerWithin, kubeStatus } from '../kube/client.js';
import { objectDrift, objectName, type ManifestObject, type ObjectDrift } from '../../domain/live-drift.js';

/**
 * Lists objects as the API server returns them. The client's own `list` turns each item into
 * its typed model, which drops fields the model does not know and turns timestamps into Dates:
 * compared with a manifest, that would be drift that is not there.
 */
class RawObjectApi extends KubernetesObjectApi {
  /** Shares what discovery found with the other reads of the same API server. */
  useDiscovery(cache: Record<string, V1APIResourceList>): this {
    this.apiVersionResourceCache = cache;
    return this;
  }

  async listRaw(apiVersion: string, kind: string, namespace: string): Promise<ManifestObject[]> {
    const path = await this.specUriPath({ apiVersion, kind, metadata: { namespace } }, 'list');
    const list = await this.requestPromise<never>(this.configuration.baseServer.makeRequestContext(path, 'GET'), 'any');
    return (list as { items?: ManifestObject[] }).items ?? [];
  }

  /** Creates the object, or merge-patches it to the rendered fields, sent as rendered (not through the typed models). */
  async writeRaw(object: ManifestObject, how: 'create' | 'patch'): Promise<void> {
    const path = await this.specUriPath(structuredClone(object), how);
    const request = this.configuration.baseServer.makeRequestContext(path, how === 'create' ? 'POST' : 'PATCH');
    request.setHeaderParam('Content-Type', how === 'create' ? 'application/json' : 'application/merge-patch+json');
    request.setQueryParam('fieldManager', 'flotilla');
    request.setBody(JSON.stringify(object));
    await this.requestPromise<never>(request, 'any');
  }
}

interface Drifted {
  drift: ObjectDrift;
  /** The object as rendered, with the namespace it lives in. */
  rendered: ManifestObject;
}

/**
 * Discovery answers per API server, kept for the process: which kinds an API version serves, and
 * whether they are namespaced, changes with the server's version, not between two reconciles; a
 * kind not found there is asked for again. Saves a read per API version on every check. Kept
 * per server and the CA that vouches for it, so only answers of the same verified server are
 * shared (a kubeconfig that skips verification shares nothing).
 */
const discovery = new Map<string, Record<string, V1APIResourceList>>();

function discoveryOf(config: KubeConfig): Record<string, V1APIResourceList> {
  const cluster = config.getCurrentCluster();
  if (!cluster || cluster.skipTLSVerify) return {};
  const key = `${cluster.server} ${cluster.caData ?? cluster.caFile ?? ''}`;
  const known = discovery.get(key) ?? {};
  discovery.set(key, known);
  return known;
}

/** The objects of a Helm manifest (its YAML documents), each with the namespace it lives in when it names none. */
export function manifestObjects(manifest: string): ManifestObject[] {
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is ManifestObject => isObject(o) && typeof o.apiVersion === 'string' && typeof o.kind === 'string' && isObject(o.metadata) && typeof o.metadata.name === 'string');
}

/**
 * How a release's live objects differ from its manifest. One list per kind and namespace, never
 * one read per object; matched by name. Discovery (which tells namespaced kinds from
 * cluster-scoped ones) is read once per API version and server.
 */
export async function liveDrift(kubeconfig: string, manifest: string, releaseNamespace: string, signal?: AbortSignal): Promise<ObjectDrift[]> {
  return (await compare(client(kubeconfig), manifest, releaseNamespace, signal)).map((d) => d.drift);
}

/**
 * liveDrift of many releases on one cluster, each kind and namespace listed once for them all
 * (a reconcile pass: a hundred releases of one chart in a namespace are two lists, not two hundred).
 */
export async function liveDriftOfMany(kubeconfig: string, releases: readonly { manifest: string; namespace: string }[], signal?: AbortSignal): Promise<ObjectDrift[][]> {
  const api = client(kubeconfig);
  const lists = new Map<string, Promise<ManifestObject[] | undefined>>();
  const shared: Lister = (apiVersion, kind, namespace) => {
    const key = `${apiVersion}|${kind}|${namespace}`;
    if (!lists.has(key)) lists.set(key, listOrForbidden(api, apiVersion, kind, namespace, signal));
    return lists.get(key)!;
  };
  return Promise.all(releases.map(async ({ manifest, namespace }) => (await compare(api, manifest, namespace, signal, shared)).map((d) => d.drift)));
}

/** A kind's objects in a namespace; undefined when the kubeconfig may not list them. */
type Lister = (apiVersion: string, kind: string, namespace: string) => Promise<ManifestObject[] | undefined>;

function listOrForbidden(api: RawObjectApi, apiVersion: string, kind: string, namespace: string, signal?: AbortSignal): Promise<ManifestObject[] | undefined> {
  return answerWithin(() => api.listRaw(apiVersion, kind, namespace), signal).catch((err: unknown) => {
    // A kubeconfig allowed to read its objects one by one (all Helm needs) but not to list them: that kind is not compared.
    if (kubeStatus(err) === 403) return undefined;
    throw err;
  });
}

/**
 * Puts the release's drifted objects back as rendered and answers what still differs. Helm's
 * three-way merge, which a repair's upgrade runs first, restores edited fields and creates deleted
 * objects, but keeps what was added by hand to a list the chart sets (a second container): a JSON
 * merge patch of the rendered object replaces such lists whole. Reads nothing more when nothing drifted.
 */
export async function restoreLive(kubeconfig: string, manifest: string, releaseNamespace: string, signal?: AbortSignal): Promise<ObjectDrift[]> {
  const api = client(kubeconfig);
  const drifted = await compare(api, manifest, releaseNamespace, signal);
  if (!drifted.length) return [];
  await Promise.all(drifted.map(({ drift, rendered }) => answerWithin(() => api.writeRaw(rendered, drift.change === 'deleted' ? 'create' : 'patch'), signal)));
  return (await compare(api, manifest, releaseNamespace, signal)).map((d) => d.drift);
}

function client(kubeconfig: string): RawObjectApi {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return config.makeApiClient(RawObjectApi).useDiscovery(discoveryOf(config));
}

async function compare(
  api: RawObjectApi,
  manifest: string,
  releaseNamespace: string,
  signal?: AbortSignal,
  list: Lister = (apiVersion, kind, namespace) => listOrForbidden(api, apiVersion, kind, namespace, signal),
): Promise<Drifted[]> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace: string; objects: ManifestObject[] }>();
  for (const object of manifestObjects(manifest)) {
    const namespace = object.metadata.namespace ?? releaseNamespace;
    const key = `${object.apiVersion}|${object.kind}|${namespace}`;
    const group = groups.get(key) ?? { apiVersion: object.apiVersion, kind: object.kind, namespace, objects: [] };
    group.objects.push(object);
    groups.set(key, group);
  }
  const drifts = await Promise.all(
    [...groups.values()].map(async ({ apiVersion, kind, namespace, objects }) => {
      const live = await list(apiVersion, kind, namespace);
      if (!live) return [];
      const byName = new Map(live.map((o) => [o.metadata.name, o]));
      return objects.flatMap((object) => {
        const found = byName.get(object.metadata.name);
        // A cluster-scoped object's list item carries no namespace: named without one.
        const drift = objectDrift(object, found, objectName(object, found ? found.metadata.namespace : namespace));
        return drift ? [{ drift, rendered: { ...object, metadata: { ...object.metadata, namespace } } }] : [];
      });
    }),
  );
  return drifts.flat();
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
