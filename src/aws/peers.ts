/**
 * The AWS plane needs the Pulumi packages, which are optional peer
 * dependencies (a GitOps user who only synthesizes does not install them).
 * Imported first by the `ml-platform-constructs/pulumi` entry point, so a
 * missing package fails with what to install instead of a module-not-found
 * stack trace from deep inside a component.
 */
const PULUMI_PEERS = ['@pulumi/pulumi', '@pulumi/aws', '@pulumi/kubernetes'];

/** The Pulumi peer packages that cannot be resolved from here. */
export function missingPulumiPeers(resolve: (id: string) => string = require.resolve): string[] {
  return PULUMI_PEERS.filter((id) => {
    try {
      resolve(id);
      return false;
    } catch {
      return true;
    }
  });
}

const missing = missingPulumiPeers();
if (missing.length > 0) {
  throw new Error(`ml-platform-constructs/pulumi needs ${missing.join(', ')}: run \`npm install ${missing.join(' ')}\` `
    + '(optional peer dependencies, left out for cdk8s-only use)');
}
