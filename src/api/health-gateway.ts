import type { Client } from '@temporalio/client';

/** Whether the API can reach Temporal, for readiness. */
export class HealthGateway {
  constructor(private readonly client: Client) {}

  /** Resolves when Temporal answers; rejects with why it did not. */
  async checkTemporal(): Promise<void> {
    await this.client.workflowService.getSystemInfo({});
  }
}
