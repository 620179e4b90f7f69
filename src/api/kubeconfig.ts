import { ApplicationFailure } from '@temporalio/common';
import { NoKubeconfig } from '../adapters/providers/provider.js';
import { FailureType } from '../domain/problems.js';
import { HttpError } from './errors.js';

/** Why a kubeconfig cannot be handed out, as HTTP; anything else as it is. */
export function kubeconfigAnswer(err: unknown): never {
  if (err instanceof NoKubeconfig) throw new HttpError(501, 'not_implemented', err.message);
  // A kubeconfig stored before today's rules: say so, and use nothing of it.
  if (err instanceof ApplicationFailure && err.type === FailureType.kubeconfigRefused) throw new HttpError(409, 'kubeconfig_refused', err.message);
  throw err;
}
