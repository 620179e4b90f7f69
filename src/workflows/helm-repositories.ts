import { condition, continueAsNew, allHandlersFinished, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../domain/problems.js';
import { refused } from './refused.js';
import { MAX_HELM_REPOSITORIES } from '../domain/validation.js';
import { addHelmRepositoryUpdate, helmRepositoriesQuery } from './messages.js';

/**
 * An org's registered Helm repositories (`helmrepos/<org>`), by name. A
 * deployment of `<repo>/<chart>` is resolved against it when it is created.
 */
export async function helmRepositoriesWorkflow(input: { org: string; repositories?: Record<string, string> }): Promise<void> {
  const repositories: Record<string, string> = { ...input.repositories };
  const list = () => Object.entries(repositories).map(([name, url]) => ({ name, url }));
  setHandler(helmRepositoriesQuery, list);
  setHandler(
    addHelmRepositoryUpdate,
    ({ name, url }) => {
      repositories[name] = url;
      upsertMemo({ repositories: list() });
      return list();
    },
    {
      validator: ({ name }) => {
        if (name in repositories || Object.keys(repositories).length < MAX_HELM_REPOSITORIES) return;
        const message = `an organization has at most ${MAX_HELM_REPOSITORIES} Helm repositories`;
        throw refused(FailureType.invalid, message, [{ path: ['name'], message }]);
      },
    },
  );
  upsertMemo({ repositories: list() });
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof helmRepositoriesWorkflow>({ org: input.org, repositories });
}
