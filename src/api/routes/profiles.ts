import { z } from 'zod';
import { PROVIDER_NAMES } from '../../domain/cluster.js';
import { labelKeyProblem } from '../../domain/names.js';
import type { ProfileSpec } from '../../domain/profiles.js';
import { PageQuery, pageRequest, type Cursors } from '../pagination.js';
import type { ProfileGateway } from '../profile-gateway.js';
import type { Routes } from '../route-table.js';
import { dnsLabel, labelSelector, labelSelectorFields, selectorRules } from '../schemas.js';

// A profile's rules are data the post-renderer copies into manifests (docs/architecture.md, decision 11): keys as Kubernetes
// names them, values as plain text, nothing that runs.
const annotationKey = z.string().superRefine((key, ctx) => {
  const problem = labelKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.replace('label key', 'annotation key') });
});
const plainText = (max: number) => z.string().max(max).regex(/^[^\0-\x1f\x7f]*$/, 'no control characters');
const storageClass = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a storage class name: lower-case letters, digits, - and .');
const proxyUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL of the proxy' }).max(2048);

const profileFields = {
  provider: z.enum(PROVIDER_NAMES),
  clusterSelector: labelSelector.optional().meta({ description: "only the provider's clusters whose labels match" }),
  serviceAnnotations: z
    .array(
      z.strictObject({
        serviceSelector: z
          .strictObject({ ...labelSelectorFields, type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional() })
          .superRefine(selectorRules)
          .optional()
          .meta({ description: "the Services by their labels and type; every Service without it" }),
        annotations: z.record(annotationKey, plainText(4096)).refine((a) => Object.keys(a).length > 0, 'at least one annotation'),
      }),
    )
    .max(20)
    .optional(),
  storageClasses: z
    .record(storageClass, storageClass)
    .refine((m) => Object.keys(m).length <= 50, 'at most 50 classes')
    .optional()
    .meta({ description: "a claim's storage class → the provider's own, e.g. { fast: gp3 }" }),
  proxy: z
    .strictObject({
      clusterSelector: labelSelector.optional().meta({ description: 'the clusters behind the proxy, by their labels; all the profile applies to without it' }),
      httpProxy: proxyUrl.optional(),
      httpsProxy: proxyUrl.optional(),
      noProxy: plainText(4096).optional(),
    })
    .optional(),
};

export const ProfileCreate = z.strictObject({ name: dnsLabel, ...profileFields });
export const ProfileReplace = z.strictObject(profileFields);

const Profile = z.object({ name: z.string(), version: z.number().int(), updatedAt: z.string(), ...profileFields });

/** /profiles: operator-defined provider profiles, versioned; applied by the post-renderer to every target they match. */
export function profileRoutes(routes: Routes, profiles: ProfileGateway, cursors: Cursors): void {
  const named = { name: dnsLabel };
  routes.post(
    '/profiles',
    {
      summary: 'Create a provider profile (version 1)',
      description: "Applied to every deployment target of its provider (and clusterSelector) by Helm's post-renderer; targets become STALE until synced.",
      body: ProfileCreate,
      idempotencyKey: true,
      responses: { 201: { description: 'the profile', schema: Profile } },
      errors: [409],
    },
    async (req, res, { body: { name, ...spec }, requestId }) => {
      res.status(201).json(await profiles.create(req.org!, name, spec as ProfileSpec, requestId));
    },
  );
  routes.get(
    '/profiles',
    { summary: 'List provider profiles, by name', query: PageQuery, responses: { 200: { description: '{ items: [profile], nextCursor? }', schema: z.object({ items: z.array(Profile), nextCursor: z.string().optional() }) } } },
    async (req, res, { query }) => {
      res.json(cursors.pageOfList(await profiles.list(req.org!), pageRequest(query), 'profiles'));
    },
  );
  routes.get('/profiles/:name', { summary: 'Get a provider profile', params: named, responses: { 200: { description: 'the profile', schema: Profile } } }, async (req, res, { params }) => {
    res.json(await profiles.get(req.org!, params.name));
  });
  routes.put(
    '/profiles/:name',
    {
      summary: "Change a provider profile: its next version",
      description: 'The targets it applies to become STALE: a sync, or reconcile under autoSync, applies the new version.',
      params: named,
      body: ProfileReplace,
      idempotencyKey: true,
      responses: { 200: { description: 'the profile', schema: Profile } },
    },
    async (req, res, { params, body, requestId }) => {
      res.json(await profiles.replace(req.org!, params.name, body as ProfileSpec, requestId));
    },
  );
  routes.delete(
    '/profiles/:name',
    { summary: 'Delete a provider profile', description: 'The targets it applied to become STALE.', params: named, idempotencyKey: true, responses: { 200: { description: 'the profile as it was', schema: Profile } } },
    async (req, res, { params, requestId }) => {
      res.json(await profiles.delete(req.org!, params.name, requestId));
    },
  );
}
