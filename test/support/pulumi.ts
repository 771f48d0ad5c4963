import { PulumiMockRecorder } from '../../src/testing/pulumi-mocks';

/** Installs the Pulumi mocks once for this test file (each test file runs in its own process). */
export const recorderReady: Promise<PulumiMockRecorder> = PulumiMockRecorder.install({ project: 'ml-platform-test', stack: 'test' });

/** Parses a JSON policy input. */
export function parsePolicy(input: unknown): { Version: string; Statement: Array<Record<string, any>> } {
  if (typeof input !== 'string') {
    throw new Error(`expected a policy JSON string, got ${typeof input}`);
  }
  return JSON.parse(input) as { Version: string; Statement: Array<Record<string, any>> };
}
