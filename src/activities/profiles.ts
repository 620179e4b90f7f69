import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { profilesWorkflowId } from '../domain/ids.js';
import type { Profile } from '../domain/profiles.js';

/**
 * What a deployment asks about its org's provider profiles: workflows cannot read each other, so
 * an activity reads the profiles' memo (`profiles/<org>`; docs/architecture.md, decision 11).
 * Served with the workflows, where a Temporal client is at hand.
 */
export interface ProfileActivities {
  orgProfiles(org: string): Promise<Profile[]>;
}

export function profileActivities(client: Client): ProfileActivities {
  return {
    orgProfiles: async (org) => {
      try {
        return ((await client.workflow.getHandle(profilesWorkflowId(org)).describe()).memo?.profiles as Profile[] | undefined) ?? [];
      } catch (err) {
        // An org that never made a profile has no workflow for them.
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    },
  };
}
