import * as pulumi from '@pulumi/pulumi';
import { getMonitor } from '@pulumi/pulumi/runtime/settings';
import { isRecord } from '../core/json';

/** One resource registration seen by the mocks. */
export interface RegisteredResource {
  /** Type token, for example `aws:s3/bucket:Bucket`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Inputs as the engine would receive them (Outputs resolved). */
  readonly inputs: Record<string, unknown>;
  /** Parent's type and name, from the parent URN (undefined for top-level resources). */
  readonly parent?: { readonly type: string; readonly name: string };
  /** Provider reference (`urn::id`), when one was passed. */
  readonly provider?: string;
  /** True for custom (provider-managed) resources, false for components. */
  readonly custom: boolean;
  /** Outputs the mocks returned. */
  readonly state: Record<string, unknown>;
  /** Input properties whose changes the engine ignores (`ignoreChanges` resource option). */
  readonly ignoreChanges: readonly string[];
}

/** Options of {@link PulumiMockRecorder.install}. */
export interface MockOptions {
  /** Project name (config keys without a namespace belong to it). @default 'ml-platform' */
  readonly project?: string;
  /** Stack name. @default 'test' */
  readonly stack?: string;
  /** Run as a preview (unknown outputs stay unknown). @default false */
  readonly preview?: boolean;
  /** Stack configuration, as `pulumi config set` would give it. @default - none */
  readonly config?: Readonly<Record<string, string>>;
  /** Config keys that are secrets. @default - none */
  readonly secretKeys?: readonly string[];
}

/** The fake AWS account and region the mocks answer with. */
export const MOCK_ACCOUNT = '123456789012';
export const MOCK_REGION = 'us-east-1';
/** What the mocks answer `secretsmanager.getRandomPassword` with. */
export const MOCK_RANDOM_PASSWORD = 'MockRandomPassword0123456789abcd';

/** The parts of a `RegisterResourceRequest` the recorder reads. */
type MonitorRequest = { getType(): string; getName(): string; getParent(): string; getIgnorechangesList(): string[] };

/**
 * Records every resource a Pulumi program registers under
 * `pulumi.runtime.setMocks`, with computed outputs per AWS type (ARNs, ids,
 * names, endpoints), so components can be tested, and a program planned,
 * with no cloud credentials.
 *
 * Install once per process (per test file) with {@link PulumiMockRecorder.install},
 * `reset()` between tests, and assert how many resources were registered:
 * a test that bypassed the mocks (a second copy of `@pulumi/pulumi`) sees none.
 */
export class PulumiMockRecorder {
  /** Installs the mocks (awaited, as setMocks requires) and returns the recorder. */
  public static async install(options: MockOptions = {}): Promise<PulumiMockRecorder> {
    const recorder = new PulumiMockRecorder();
    const project = options.project ?? 'ml-platform';
    await pulumi.runtime.setMocks({
      newResource: (args) => recorder.newResource(args),
      call: (args) => recorder.call(args),
    }, project, options.stack ?? 'test', options.preview ?? false);
    if (options.config) {
      const qualified = (key: string) => key.includes(':') ? key : `${project}:${key}`;
      const entries = Object.entries(options.config).map(([key, value]): [string, string] => [qualified(key), value]);
      pulumi.runtime.setAllConfig(Object.fromEntries(entries), (options.secretKeys ?? []).map(qualified));
    }
    recorder.recordParents();
    return recorder;
  }

  /** Every registration so far, in order. */
  public readonly resources: RegisteredResource[] = [];
  /**
   * Outputs of other stacks, by stack name: what a `pulumi.StackReference`
   * to that stack reads (an unknown stack has no outputs).
   */
  public readonly stackOutputs = new Map<string, Record<string, unknown>>();
  private readonly parents = new Map<string, string>();
  private readonly ignored = new Map<string, string[]>();

  private constructor() {}

  /** Forgets what was recorded (call between tests). */
  public reset(): void {
    this.resources.length = 0;
    this.parents.clear();
  }

  /** Registrations of `type`. */
  public ofType(type: string): RegisteredResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one registration of `type` (and `name`, if given); throws otherwise. */
  public one(type: string, name?: string): RegisteredResource {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}: ${this.resources.map((r) => `${r.type}/${r.name}`).join(', ')}`);
    }
    return found[0];
  }

  /** Registrations whose parent is `name`. */
  public childrenOf(name: string): RegisteredResource[] {
    return this.resources.filter((r) => r.parent?.name === name);
  }

  /** Waits until the runtime has no pending registrations, so everything started is recorded. */
  public async settle(): Promise<void> {
    // Registrations are asynchronous; a few macrotask turns let queued ones land.
    let seen = -1;
    while (seen !== this.resources.length) {
      seen = this.resources.length;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * MockResourceArgs carries no parent: wrap the mock monitor's
   * `registerResource` to note each registration's parent URN before the
   * mocks see it.
   */
  private recordParents(): void {
    const monitor = getMonitor();
    if (monitor === undefined) {
      throw new Error('pulumi.runtime.setMocks installed no resource monitor');
    }
    // The monitor's method is typed with gRPC overloads; the wrapper only reads the request and passes both arguments on.
    const register = monitor.registerResource.bind(monitor);
    Object.defineProperty(monitor, 'registerResource', {
      configurable: true,
      writable: true,
      value: (req: MonitorRequest, cb: unknown): unknown => {
        this.parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
        this.ignored.set(`${req.getType()}::${req.getName()}`, req.getIgnorechangesList());
        return Reflect.apply(register, monitor, [req, cb]);
      },
    });
  }

  private newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const inputs = recordOf(args.inputs);
    const state: Record<string, unknown> = args.type === 'pulumi:pulumi:StackReference'
      ? { ...inputs, outputs: this.stackOutputs.get(String(inputs.name)) ?? {}, secretOutputNames: [] }
      : { ...inputs, ...computedOutputs(args.type, args.name, inputs) };
    const parentUrn = this.parents.get(`${args.type}::${args.name}`);
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs,
      parent: parentUrn ? parseUrn(parentUrn) : undefined,
      provider: args.provider || undefined,
      custom: args.custom ?? true,
      state,
      ignoreChanges: this.ignored.get(`${args.type}::${args.name}`) ?? [],
    });
    return { id: typeof state.id === 'string' ? state.id : `${args.name}-id`, state };
  }

  private call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case 'aws:index/getCallerIdentity:getCallerIdentity':
        return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: 'MOCK' };
      case 'aws:index/getRegion:getRegion':
        return { name: MOCK_REGION, region: MOCK_REGION };
      case 'aws:index/getPartition:getPartition':
        return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
      case 'aws:secretsmanager/getRandomPassword:getRandomPassword':
        // A fixed value so tests can check where it flows (and that it is marked secret).
        return { randomPassword: MOCK_RANDOM_PASSWORD };
      default:
        return recordOf(args.inputs);
    }
  }
}

/** The inputs the mocks receive (typed `any` by Pulumi) as a record. */
function recordOf(inputs: unknown): Record<string, unknown> {
  return isRecord(inputs) ? inputs : {};
}

/** Outputs AWS computes, by type. */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const str = (key: string) => (typeof inputs[key] === 'string' ? inputs[key] : undefined);
  switch (type) {
    case 'aws:s3/bucket:Bucket': {
      const bucket = str('bucket') ?? `${str('bucketPrefix') ?? `${name}-`}mock`;
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${MOCK_REGION}.amazonaws.com` };
    }
    case 'aws:iam/role:Role': {
      const roleName = str('name') ?? `${name}-mock`;
      return { id: roleName, name: roleName, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${roleName}`, uniqueId: `AROA${name.length}MOCK` };
    }
    case 'aws:ecr/repository:Repository': {
      const repo = str('name') ?? name;
      return { id: repo, name: repo, arn: `arn:aws:ecr:${MOCK_REGION}:${MOCK_ACCOUNT}:repository/${repo}`, repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${repo}` };
    }
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return { id: name, arn: `arn:aws:elasticache:${MOCK_REGION}:${MOCK_ACCOUNT}:replicationgroup:${name}`, primaryEndpointAddress: `master.${name}.abc123.use1.cache.amazonaws.com` };
    case 'aws:secretsmanager/secret:Secret': {
      const secretName = str('name') ?? `${name}-mock`;
      return { id: `arn:aws:secretsmanager:${MOCK_REGION}:${MOCK_ACCOUNT}:secret:${secretName}`, name: secretName, arn: `arn:aws:secretsmanager:${MOCK_REGION}:${MOCK_ACCOUNT}:secret:${secretName}` };
    }
    case 'aws:wafv2/webAcl:WebAcl': {
      // AWS's format (the AWS Load Balancer Controller's wafv2-acl-arn annotation takes it as is).
      const scope = str('scope') === 'CLOUDFRONT' ? 'global' : 'regional';
      return { id: `${name}-id`, arn: `arn:aws:wafv2:${MOCK_REGION}:${MOCK_ACCOUNT}:${scope}/webacl/${str('name') ?? name}/${name}-id`, capacity: 725 };
    }
    case 'aws:kms/key:Key':
      return { id: `${name}-key-id`, keyId: `${name}-key-id`, arn: `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/${name}-key-id` };
    case 'aws:sqs/queue:Queue': {
      const queue = str('name') ?? `${name}-mock`;
      return { id: `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${queue}`, name: queue, arn: `arn:aws:sqs:${MOCK_REGION}:${MOCK_ACCOUNT}:${queue}`, url: `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${queue}` };
    }
    default:
      return { id: `${name}-id`, arn: str('arn') ?? `arn:aws:mock:${MOCK_REGION}:${MOCK_ACCOUNT}:${type.split(':').pop()?.toLowerCase()}/${name}` };
  }
}

/** Type and name of the resource a URN names (`urn:pulumi:stack::project::a$b::name`). */
function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split('::');
  const qualifiedType = parts[2] ?? '';
  return { type: qualifiedType.split('$').pop() ?? qualifiedType, name: parts.slice(3).join('::') };
}

/** Resolves a Pulumi Output (mocks make outputs resolve locally). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => {
    resolve(value);
    return value;
  }));
}
