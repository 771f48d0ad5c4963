// Runs the program (bin/index.js, compiled by tsc) under Pulumi mocks, as a user tests their stack.
import type * as pulumi from '@pulumi/pulumi';
import { PulumiMockRecorder, promiseOf } from 'ml-platform-constructs/testing';

async function run(): Promise<void> {
  const recorder = await PulumiMockRecorder.install({
    project: 'consumer',
    stack: 'dev',
    config: { clusterName: 'prod-eks', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X', oidcProviderUrl: 'https://oidc.eks.us-east-1.amazonaws.com/id/X' },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program: { bindings: pulumi.Output<Record<string, unknown>> } = require('./index');
  const bindings = await promiseOf(program.bindings);
  await recorder.settle();
  console.log(JSON.stringify({ bindings: Object.keys(bindings), resources: recorder.resources.map((r) => r.type).sort() }));
}

run().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
