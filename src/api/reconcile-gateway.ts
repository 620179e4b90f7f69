import type { Client } from '@temporalio/client';
import { reconcilePass, startEntity } from '../temporal/entity-starts.js';
import { askTemporal } from './temporal-errors.js';

/** The API's dealings with Temporal for reconcile passes asked for by an org. */
export class ReconcileGateway {
  constructor(private readonly client: Client) {}

  /** Starts a reconcile pass of the org; its workflow ID. */
  async startPass(org: string): Promise<string> {
    return (await askTemporal('reconcile pass', () => startEntity(this.client, reconcilePass(org)))).workflowId;
  }
}
