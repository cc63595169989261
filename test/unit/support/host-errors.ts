/** Asserts that a host call fails with a HostError of this code, and returns it. */
import { expect } from 'vitest';
import { HostError, type HostErrorCode } from '../../../shared/host-api';

export async function expectHostError(promise: Promise<unknown>, code: HostErrorCode): Promise<HostError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected HostError ${code}, got result ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostError);
  expect((error as HostError).code).toBe(code);
  return error as HostError;
}
