import type { Command } from 'commander';
import type { Profile, ProfileSpec, ServiceAnnotationRule } from '../../domain/profiles.js';
import { contextOf, seg } from '../context.js';
import { details, print, table } from '../output.js';
import { collect, pairFlag, readMapFile, selectorFlag } from '../specs.js';
import { examples } from '../examples.js';

const profileDetails = (p: Profile) =>
  details([
    ['Name', p.name],
    ['Version', p.version],
    ['Provider', p.provider],
    ['Clusters', p.clusterSelector],
    ['Service annotations', p.serviceAnnotations],
    ['Storage classes', p.storageClasses],
    ['Proxy', p.proxy],
    ['Updated', p.updatedAt],
  ]);

export interface SpecFlags {
  provider?: string;
  file?: string;
  selector?: string;
  serviceAnnotation?: [string, string][];
  lbAnnotation?: [string, string][];
  storageClass?: [string, string][];
  httpProxy?: string;
  httpsProxy?: string;
  proxyExclude?: string;
  proxySelector?: string;
}

/** A profile from `-f FILE` (YAML or JSON, the API's fields), with each flag over it. */
export function profileSpec(opts: SpecFlags): ProfileSpec {
  const spec = (opts.file ? readMapFile(opts.file) : {}) as Partial<ProfileSpec>;
  const annotations = (pairs: [string, string][] | undefined, type?: string): ServiceAnnotationRule[] =>
    pairs?.length ? [{ ...(type ? { serviceSelector: { type } } : {}), annotations: Object.fromEntries(pairs) }] : [];
  const rules = [...(spec.serviceAnnotations ?? []), ...annotations(opts.serviceAnnotation), ...annotations(opts.lbAnnotation, 'LoadBalancer')];
  const proxy = {
    ...spec.proxy,
    ...(opts.httpProxy ? { httpProxy: opts.httpProxy } : {}),
    ...(opts.httpsProxy ? { httpsProxy: opts.httpsProxy } : {}),
    ...(opts.proxyExclude ? { noProxy: opts.proxyExclude } : {}),
    ...(opts.proxySelector ? { clusterSelector: selectorFlag(opts.proxySelector) } : {}),
  };
  const storageClasses = { ...spec.storageClasses, ...Object.fromEntries(opts.storageClass ?? []) };
  return {
    ...spec,
    ...(opts.provider ? { provider: opts.provider as ProfileSpec['provider'] } : {}),
    ...(opts.selector ? { clusterSelector: selectorFlag(opts.selector) } : {}),
    ...(rules.length ? { serviceAnnotations: rules } : {}),
    ...(Object.keys(storageClasses).length ? { storageClasses } : {}),
    ...(Object.keys(proxy).length ? { proxy } : {}),
  } as ProfileSpec;
}

/** The flags of create and update: a whole profile each time (an update is its next version, not a patch). */
function specOptions(command: Command): Command {
  return command
    .option('--provider <provider>', 'the provider whose clusters it applies to')
    .option('-f, --file <file>', 'the profile as YAML or JSON (the API fields); flags go over it')
    .option('--selector <selector>', "only the provider's clusters whose labels match, e.g. 'network=private'")
    .option('--service-annotation <KEY=VALUE>', 'an annotation for every Service; repeat for more', collect(pairFlag))
    .option('--lb-annotation <KEY=VALUE>', 'an annotation for Services of type LoadBalancer; repeat for more', collect(pairFlag))
    .option('--storage-class <FROM=TO>', "a claim's storage class → the provider's, e.g. fast=gp3; repeat for more", collect(pairFlag))
    .option('--http-proxy <url>', 'HTTP_PROXY for every container')
    .option('--https-proxy <url>', 'HTTPS_PROXY for every container')
    // Not --no-proxy: commander reads --no-<name> as a negation.
    .option('--proxy-exclude <list>', 'NO_PROXY for every container, e.g. 10.0.0.0/8,.svc')
    .option('--proxy-selector <selector>', "the proxy only on clusters whose labels match, e.g. 'flotilla.io/http-proxy=true' (clusters created with a proxy)");
}

export function profileCommands(program: Command): void {
  const profile = program.command('profile').description("provider profiles: operators' rules applied to every release's manifests (versioned)");

  specOptions(
    profile
      .command('create')
      .description('create a profile (version 1)')
      .argument('<name>')
      .addHelpText('after', examples('flotilla profile create aws-internal --provider eks --lb-annotation service.beta.kubernetes.io/aws-load-balancer-scheme=internal', 'flotilla profile create proxied --provider aks --http-proxy http://proxy:3128 --proxy-selector flotilla.io/http-proxy=true')),
  ).action(async (name: string, opts: SpecFlags, command: Command) => {
    const { api, format } = contextOf(command);
    const created = await api.inOrg<Profile>('POST', '/profiles', { name, ...profileSpec(opts) });
    print(format, created, () => profileDetails(created));
  });

  specOptions(profile.command('update').description('replace a profile with its next version; the targets it applies to become STALE').argument('<name>')).action(
    async (name: string, opts: SpecFlags, command: Command) => {
      const { api, format } = contextOf(command);
      const updated = await api.inOrg<Profile>('PUT', `/profiles/${seg(name)}`, profileSpec(opts));
      print(format, updated, () => profileDetails(updated));
    },
  );

  profile
    .command('list')
    .description('list profiles')
    .action(async (_opts, command: Command) => {
      const { api, format } = contextOf(command);
      const items = await api.listAll<Profile>('/profiles');
      print(format, items, () =>
        table(items, [
          { header: 'NAME', value: (p) => p.name },
          { header: 'VERSION', value: (p) => p.version },
          { header: 'PROVIDER', value: (p) => p.provider },
          { header: 'UPDATED', value: (p) => p.updatedAt },
        ]),
      );
    });

  profile
    .command('get')
    .description('show a profile')
    .argument('<name>')
    .action(async (name: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const found = await api.inOrg<Profile>('GET', `/profiles/${seg(name)}`);
      print(format, found, () => profileDetails(found));
    });

  profile
    .command('delete')
    .description('delete a profile; the targets it applied to become STALE')
    .argument('<name>')
    .action(async (name: string, _opts, command: Command) => {
      const { api, format } = contextOf(command);
      const deleted = await api.inOrg<Profile>('DELETE', `/profiles/${seg(name)}`);
      print(format, deleted, () => profileDetails(deleted));
    });
}
