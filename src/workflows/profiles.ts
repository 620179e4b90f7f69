import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../domain/problems.js';
import { refused } from './refused.js';
import type { Profile } from '../domain/profiles.js';
import { MAX_PROFILES } from '../domain/validation.js';
import { deleteProfileUpdate, profilesQuery, putProfileUpdate } from './messages.js';

export interface ProfilesWorkflowInput {
  org: string;
  profiles?: Profile[];
  /** The last version each name had, kept after a delete so a name made again never repeats a version. */
  versions?: Record<string, number>;
}

function refuse(type: FailureType, message: string, path: string): ApplicationFailure {
  return refused(type, message, [{ path: [path], message }]);
}

/**
 * An org's provider profiles (`profiles/<org>`), versioned: a store rather than an entity with an
 * operation queue (docs/architecture.md, decision 11), because a change does no I/O; deployments
 * read the profiles when they apply or check and record the versions they applied.
 */
export async function profilesWorkflow(input: ProfilesWorkflowInput): Promise<void> {
  const profiles = new Map((input.profiles ?? []).map((p) => [p.name, p]));
  const versions: Record<string, number> = { ...input.versions };
  const list = () => [...profiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  const publish = () => upsertMemo({ profiles: list() });
  setHandler(profilesQuery, list);
  setHandler(
    putProfileUpdate,
    ({ name, spec }) => {
      const version = (versions[name] ?? 0) + 1;
      versions[name] = version;
      const profile: Profile = { ...spec, name, version, updatedAt: new Date().toISOString() };
      profiles.set(name, profile);
      publish();
      return profile;
    },
    {
      validator: ({ name, mode }) => {
        if (mode === 'create' && profiles.has(name)) throw refuse(FailureType.conflict, `profile '${name}' already exists`, 'name');
        if (mode === 'replace' && !profiles.has(name)) throw refused(FailureType.notFound, `profile '${name}' not found`);
        if (mode === 'create' && profiles.size >= MAX_PROFILES) throw refuse(FailureType.invalid, `an organization has at most ${MAX_PROFILES} profiles`, 'name');
      },
    },
  );
  setHandler(
    deleteProfileUpdate,
    ({ name }) => {
      const profile = profiles.get(name)!;
      profiles.delete(name);
      publish();
      return profile;
    },
    {
      validator: ({ name }) => {
        if (!profiles.has(name)) throw refused(FailureType.notFound, `profile '${name}' not found`);
      },
    },
  );
  publish();
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof profilesWorkflow>({ org: input.org, profiles: list(), versions });
}
