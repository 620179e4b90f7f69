import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure a promise rejects with (failing the test if it resolves or rejects otherwise). */
export async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
