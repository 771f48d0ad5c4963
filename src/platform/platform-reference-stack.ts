import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_CONTRACT_OUTPUTS, PlatformContract, parsePlatformContract } from './contract';
import { ExistingCluster } from './serving-stack';

/**
 * A team stack's typed view of a platform stack: the platform's
 * {@link PlatformContract}, read through `pulumi.StackReference` and checked
 * (version and shape) before any resource of the team is declared. A missing
 * or mismatched output fails the program with a `ValidationError` naming the
 * stack and the output, for example
 * `platform contract of stack org/platform/prod: invalid 'contractVersion' (2): this library reads platform contract version 1: ...`.
 *
 * ```ts
 * const platform = await PlatformReference.fromStack('org/platform/prod');
 * new TeamStack('churn', { platform, team: 'churn', models: [...] });
 * ```
 */
export class PlatformReference {
  /**
   * Reads the contract of the platform stack `stackName`
   * (`<organization>/<project>/<stack>`). The outputs are read with
   * `StackReference.getOutputDetails` (plain or secret values, at preview and
   * update alike), so the team program awaits them once, at its start.
   */
  public static async fromStack(stackName: string, opts?: pulumi.CustomResourceOptions): Promise<PlatformReference> {
    const reference = new pulumi.StackReference(stackName, { name: stackName }, opts);
    const outputs: Record<string, unknown> = {};
    for (const output of PLATFORM_CONTRACT_OUTPUTS) {
      const details = await reference.getOutputDetails(output);
      // A `null` output (a platform without a gateway, say) is a value, not a missing output.
      outputs[output] = 'secretValue' in details ? details.secretValue : details.value;
    }
    return new PlatformReference(parsePlatformContract(outputs, `stack ${stackName}`), `stack ${stackName}`, reference);
  }

  /** A contract given in code (or read from a file), checked like a stack's outputs. */
  public static fromContract(contract: PlatformContract, source = 'code'): PlatformReference {
    return new PlatformReference(parsePlatformContract({ ...contract }, source), source);
  }

  private constructor(
    /** The checked contract. */
    public readonly contract: PlatformContract,
    /** Where it came from (`stack <name>`, or `code`). */
    public readonly source: string,
    /** The stack reference, when read from a stack. */
    public readonly stackReference?: pulumi.StackReference,
  ) {}

  /** The platform's cluster as a stack's `cluster` argument, with the team's own way to reach it. */
  public cluster(access: Pick<ExistingCluster, 'kubeconfig' | 'provider'> = {}): ExistingCluster {
    const c = this.contract.cluster;
    return { name: c.name, oidcProvider: { arn: c.oidcProviderArn, url: c.oidcProviderUrl }, ...access };
  }
}
