/**
 * A failure's cause chain, walked once for every question asked of it. Temporal wraps a failure
 * on its way (an ActivityFailure around the activity's ApplicationFailure, a ChildWorkflowFailure
 * around the child's), so what a caller wants — the cloud's words, a failure's type, the steps a
 * child recorded — is somewhere down the chain. Plain Errors only: used in workflows and the API alike.
 */

/** An ApplicationFailure as the chain holds it, without importing the SDK: its type and details. */
export interface TypedFailure extends Error {
  type?: string | null;
  details?: unknown[] | null;
}

/** Deeper than any chain Temporal builds; a cycle must not hang a workflow. */
const MAX_DEPTH = 32;

/** The failure and its causes, outermost first. */
export function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = err; current instanceof Error && chain.length < MAX_DEPTH; current = (current as Error & { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

/** The innermost message of the chain: the cloud's words, not "Activity task failed". */
export function rootMessage(err: unknown): string {
  const messages = causeChain(err).map((e) => e.message).filter(Boolean);
  return messages.at(-1) ?? String(err);
}

/** The outermost ApplicationFailure of this type in the chain (FailureType in domain/problems.ts). */
export function failureOfType(err: unknown, type: string): TypedFailure | undefined {
  return causeChain(err).find((e): e is TypedFailure => e.name === 'ApplicationFailure' && (e as TypedFailure).type === type);
}
