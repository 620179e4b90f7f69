import type { Client } from '@temporalio/client';
import { helmRepositoriesWorkflowId } from '../domain/ids.js';
import { helmRepositoriesEntity, withStart } from '../temporal/entity-starts.js';
import { addHelmRepositoryUpdate, type HelmRepository } from '../workflows/messages.js';
import { askTemporal, storeMemo } from './temporal-errors.js';

/** The API's dealings with Temporal for an org's Helm repositories (`helmrepos/<org>`, made on the first registration). */
export class HelmRepositoryGateway {
  constructor(private readonly client: Client) {}

  /** The org's Helm repositories, by name (empty when none was registered). */
  async list(org: string): Promise<HelmRepository[]> {
    return ((await storeMemo(this.client, helmRepositoriesWorkflowId(org), 'helm repositories')).repositories as HelmRepository[] | undefined) ?? [];
  }

  /** Registers (or re-points) a repository; the org's workflow starts with its first one. */
  async add(org: string, repository: HelmRepository): Promise<HelmRepository[]> {
    return askTemporal('helm repositories', () =>
      this.client.workflow.executeUpdateWithStart(addHelmRepositoryUpdate, { args: [repository], startWorkflowOperation: withStart(helmRepositoriesEntity(org)) }),
    );
  }
}
