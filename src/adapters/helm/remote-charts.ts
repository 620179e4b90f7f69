import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { parse } from 'yaml';
import type { Egress } from '../egress/egress.js';
import { FailureType } from '../../domain/problems.js';

const INDEX_BYTES = 32 << 20;
const CHART_BYTES = 64 << 20;
const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** How long a chart, once resolved, is handed out again without asking the repository. */
const RESOLVED_FOR_MS = 30_000;

interface IndexEntry {
  version: string;
  urls?: string[];
  digest?: string;
}

/**
 * Charts from repositories and OCI registries, downloaded by Flotilla itself
 * through the egress policy and handed to helm as local packages. Helm never
 * dials a tenant's URL: Go's HTTP client would go straight to a loopback
 * address a redirect names, past any proxy.
 */
export class RemoteCharts {
  /** Charts resolved lately, by repository, name and version asked; the promise itself, so the calls of one moment share one fetch. */
  private readonly resolved = new Map<string, { at: number; file: Promise<string> }>();

  constructor(
    private readonly egress: Egress,
    private readonly cacheDir: string,
    /** Extra trust anchors for registries (tests serve one with a throwaway certificate). */
    private readonly ca?: string,
  ) {}

  /** A local package of `chart` (a name in `repo`, or an oci:// reference) at `version` (exact or a semver range; default: the newest release). */
  async fetch(release: { chart: string; repo?: string; version?: string }, signal?: AbortSignal): Promise<string> {
    // The targets of one apply all ask at once: the index (or the registry's tags and manifest) is fetched once for them, not once per target.
    const now = Date.now();
    for (const [key, entry] of this.resolved) if (now - entry.at >= RESOLVED_FOR_MS) this.resolved.delete(key);
    const key = JSON.stringify([release.repo ?? '', release.chart, release.version ?? '']);
    const known = this.resolved.get(key);
    if (known) return known.file;
    const file = release.repo ? this.fromRepository(release.repo, release.chart, release.version, signal) : this.fromRegistry(release.chart, release.version, signal);
    this.resolved.set(key, { at: now, file });
    // A failure is not kept: the next attempt asks again.
    file.catch(() => this.resolved.get(key)?.file === file && this.resolved.delete(key));
    return file;
  }

  private async fromRepository(repo: string, name: string, version: string | undefined, signal?: AbortSignal): Promise<string> {
    const base = repo.endsWith('/') ? repo : `${repo}/`;
    const index = await this.egress.get(new URL('index.yaml', base).href, { maxBytes: INDEX_BYTES, ...this.common(signal) });
    if (index.status !== 200) throw missing(`repository ${repo} answered ${index.status} for index.yaml`);
    let entries: IndexEntry[] | undefined;
    try {
      entries = (parse(index.body.toString('utf8')) as { entries?: Record<string, IndexEntry[]> } | null)?.entries?.[name];
    } catch {
      throw missing(`repository ${repo} has no valid index.yaml`);
    }
    const chosen = choose((entries ?? []).map((e) => e.version), version);
    const entry = entries?.find((e) => e.version === chosen);
    const url = entry?.urls?.[0];
    if (!entry || !url) throw missing(`chart ${name}${version ? ` ${version}` : ''} is not in repository ${repo}`);
    const digest = entry.digest ? `sha256:${entry.digest}` : undefined;
    return this.download(new URL(url, new URL('.', index.url)).href, digest, {}, signal);
  }

  private async fromRegistry(reference: string, version: string | undefined, signal?: AbortSignal): Promise<string> {
    const match = /^oci:\/\/([^/]+)\/(.+)$/.exec(reference);
    if (!match) throw missing(`'${reference}' is not an oci://host/path reference`);
    const registry = `https://${match[1]}/v2/${match[2]}`;
    const auth = new RegistryAuth(this.egress, this.common(signal));
    let tag = version;
    if (!tag || semver.validRange(tag) && !semver.valid(tag)) {
      const tags = JSON.parse((await auth.get(`${registry}/tags/list`, 'application/json', INDEX_BYTES)).toString('utf8')) as { tags?: string[] };
      tag = choose((tags.tags ?? []).map((t) => t.replace(/_/g, '+')), version);
      if (!tag) throw missing(`${reference} has no tag${version ? ` matching ${version}` : ''}`);
    }
    // OCI tags cannot hold '+': helm writes it as '_'.
    const manifest = JSON.parse((await auth.get(`${registry}/manifests/${tag.replace(/\+/g, '_')}`, OCI_MANIFEST, INDEX_BYTES)).toString('utf8')) as {
      layers?: { mediaType: string; digest: string }[];
    };
    const layer = manifest.layers?.find((l) => l.mediaType === HELM_CHART_LAYER);
    if (!layer) throw missing(`${reference}:${tag} is not a Helm chart`);
    return this.download(`${registry}/blobs/${layer.digest}`, layer.digest, auth.header(), signal);
  }

  /** The package at `url`, checked against its digest when known; kept by digest, so a chart is fetched once. */
  private async download(url: string, digest: string | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const file = join(this.cacheDir, `${(digest ?? createHash('sha256').update(url).digest('hex')).replace(':', '-')}.tgz`);
    if (digest && existsSync(file)) return file;
    const answer = await this.egress.get(url, { headers, maxBytes: CHART_BYTES, ...this.common(signal) });
    if (answer.status !== 200) throw missing(`${url} answered ${answer.status}`);
    if (digest && `sha256:${createHash('sha256').update(answer.body).digest('hex')}` !== digest) throw missing(`${url} does not match its digest ${digest}`);
    await mkdir(this.cacheDir, { recursive: true });
    await writeFile(`${file}.tmp`, answer.body, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
    return file;
  }

  private common(signal?: AbortSignal): { signal?: AbortSignal; ca?: string } {
    return { ...(signal ? { signal } : {}), ...(this.ca ? { ca: this.ca } : {}) };
  }
}

/** The version helm would pick: `wanted` exactly, else the newest that satisfies it, else (no `wanted`) the newest release. */
function choose(versions: string[], wanted: string | undefined): string | undefined {
  if (wanted && versions.includes(wanted)) return wanted;
  const valid = versions.filter((v) => semver.valid(v));
  return wanted ? (semver.maxSatisfying(valid, wanted) ?? undefined) : semver.rsort(valid.filter((v) => !semver.prerelease(v)))[0];
}

/** A chart that is not there will not appear by retrying: a typed, non-retryable failure. */
function missing(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.chartUnavailable, message, nonRetryable: true });
}

/**
 * An OCI registry's anonymous bearer-token handshake: a 401 names the token
 * service (itself an endpoint the tenant chose, so it goes through the policy too).
 */
class RegistryAuth {
  private token?: string;

  constructor(
    private readonly egress: Egress,
    private readonly common: { signal?: AbortSignal; ca?: string },
  ) {}

  header(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async get(url: string, accept: string, maxBytes: number): Promise<Buffer> {
    let answer = await this.egress.get(url, { headers: { accept, ...this.header() }, maxBytes, ...this.common });
    const challenge = answer.headers['www-authenticate'];
    if (answer.status === 401 && !this.token && typeof challenge === 'string') {
      await this.authenticate(challenge);
      answer = await this.egress.get(url, { headers: { accept, ...this.header() }, maxBytes, ...this.common });
    }
    if (answer.status !== 200) throw missing(`${url} answered ${answer.status}`);
    return answer.body;
  }

  private async authenticate(challenge: string): Promise<void> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!/^bearer\s/i.test(challenge) || !params.realm) throw missing(`the registry asks for credentials Flotilla does not have (${challenge.split(' ')[0]})`);
    const url = new URL(params.realm);
    for (const key of ['service', 'scope']) if (params[key]) url.searchParams.set(key, params[key]!);
    const answer = await this.egress.get(url.href, { maxBytes: 1 << 20, ...this.common });
    if (answer.status !== 200) throw missing(`the registry's token service answered ${answer.status}`);
    const body = JSON.parse(answer.body.toString('utf8')) as { token?: string; access_token?: string };
    this.token = body.token ?? body.access_token;
  }
}
