import { KubeConfig, KubernetesObjectApi, type V1APIResourceList } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { answerWithin } from '../kube/client.js';
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
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  const api = config.makeApiClient(RawObjectApi).useDiscovery(discoveryOf(config));
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
      const live = await answerWithin(() => api.listRaw(apiVersion, kind, namespace), signal);
      const byName = new Map(live.map((o) => [o.metadata.name, o]));
      return objects.flatMap((object) => {
        const found = byName.get(object.metadata.name);
        // A cluster-scoped object's list item carries no namespace: named without one.
        const name = objectName(object, found ? found.metadata.namespace : namespace);
        return objectDrift(object, found, name) ?? [];
      });
    }),
  );
  return drifts.flat();
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
