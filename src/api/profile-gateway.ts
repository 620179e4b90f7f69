import type { Client } from '@temporalio/client';
import { profilesWorkflowId } from '../domain/ids.js';
import type { Profile, ProfileSpec } from '../domain/profiles.js';
import { profilesEntity, withStart } from '../temporal/entity-starts.js';
import { deleteProfileUpdate, putProfileUpdate } from '../workflows/messages.js';
import { notFound } from './errors.js';
import { askTemporal, storeMemo } from './temporal-errors.js';

/** The API's dealings with Temporal for an org's provider profiles (`profiles/<org>`, made with the first one). */
export class ProfileGateway {
  constructor(private readonly client: Client) {}

  /** The org's profiles by name, read from the store's memo (empty when none was ever made). */
  async list(org: string): Promise<Profile[]> {
    return ((await storeMemo(this.client, profilesWorkflowId(org), 'profiles')).profiles as Profile[] | undefined) ?? [];
  }

  async get(org: string, name: string): Promise<Profile> {
    const found = (await this.list(org)).find((p) => p.name === name);
    if (!found) throw notFound(`profile '${name}'`);
    return found;
  }

  /** Version 1 of a new profile (409 when the name is taken); the org's store starts with its first. */
  async create(org: string, name: string, spec: ProfileSpec, requestId: string): Promise<Profile> {
    return askTemporal(`profile '${name}'`, () =>
      this.client.workflow.executeUpdateWithStart(putProfileUpdate, {
        args: [{ name, spec, mode: 'create' }],
        updateId: requestId,
        startWorkflowOperation: withStart(profilesEntity(org)),
      }),
    );
  }

  /** The next version of a profile (404 when there is none). */
  async replace(org: string, name: string, spec: ProfileSpec, requestId: string): Promise<Profile> {
    const handle = this.client.workflow.getHandle(profilesWorkflowId(org));
    return askTemporal(`profile '${name}'`, () => handle.executeUpdate(putProfileUpdate, { args: [{ name, spec, mode: 'replace' }], updateId: requestId }));
  }

  async delete(org: string, name: string, requestId: string): Promise<Profile> {
    const handle = this.client.workflow.getHandle(profilesWorkflowId(org));
    return askTemporal(`profile '${name}'`, () => handle.executeUpdate(deleteProfileUpdate, { args: [{ name }], updateId: requestId }));
  }
}
