import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { ApiObject, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvMap, resolveEnv } from './env';
import { PropsValidator } from '../core/errors';
import { validateSchedule } from '../core/cron';
import { checkChartAtSynth } from '../core/chart-checks';
import { validatePinnedImage } from './image';
import { MANAGED_BY } from '../core/labels';
import { stableJson } from '../core/json';
import { EgressOptions, JobEgress, jobNetworkPolicy } from './network';
import { addPodSeccomp, restrictedContainerSecurity, restrictedPodSecurity } from './pod-security';
import { ComputeResources, validateComputeResources } from '../core/resources';

/**
 * The official Node.js image the library's jobs run on, pinned to a release
 * (the bundled scripts need nothing else). Override `image` to use a mirror
 * or a digest.
 */
export const NODE_IMAGE = 'node:24.21.0-slim';

/** UID of the `node` user of the official image. */
const NODE_UID = 1000;
const MOUNT = '/opt/ml-platform';

/**
 * Runs a gzipped CommonJS bundle: `node -e GZIP_LOADER -- <file.js.gz> <args...>`.
 * It gunzips in memory (the root file system stays read-only), compiles the
 * module and calls its exported `main(args)`, whose resolved number is the
 * exit code.
 */
export const GZIP_LOADER = [
  "const z=require('zlib'),f=require('fs'),M=require('module'),p=process.argv[1];",
  "const m=new M(p,null);m.filename=p;m.paths=[];m._compile(z.gunzipSync(f.readFileSync(p)).toString('utf8'),p);",
  'Promise.resolve(m.exports.main(process.argv.slice(2))).then((c)=>{process.exitCode=c;},',
  "(e)=>{process.stderr.write(String(e&&e.message||e)+'\\n');process.exitCode=2;});",
].join('');

/** {@link GZIP_LOADER} for a brotli-compressed bundle (`compress: 'brotli'`): about 18% smaller than gzip -9 for the drift checker. */
export const BROTLI_LOADER = GZIP_LOADER.replace('z.gunzipSync(', 'z.brotliDecompressSync(');

/** Properties of a {@link NodeScriptCronJob}. */
export interface NodeScriptCronJobProps {
  /** Name of the CronJob, ConfigMap and ServiceAccount. */
  readonly name: string;
  /** File name of the bundled script, for example `ab-analysis.js`. */
  readonly scriptName: string;
  /** The bundled, self-contained CommonJS script. */
  readonly script: string;
  /** Configuration rendered to `config.json` next to the script (keys sorted). */
  readonly config: unknown;
  /** Arguments after the script path; `{config}` is replaced by the config file path. */
  readonly args: readonly string[];
  /** When the job runs. */
  readonly schedule: Cron;
  /** IANA time zone of the schedule. @default 'UTC' */
  readonly timeZone?: string;
  /** Container image with `node` on the PATH. @default NODE_IMAGE */
  readonly image?: string;
  /** Environment of the container (secrets by reference only). @default - none */
  readonly env?: EnvMap;
  /** Annotations of the job's ServiceAccount (for example the IRSA role ARN). @default - none */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** Requests and limits. @default - 100m/256Mi requests, 1 CPU/1Gi limits */
  readonly resources?: ComputeResources;
  /** Longest a run may take before it is killed. @default Duration.minutes(30) */
  readonly activeDeadline?: Duration;
  /** Retries of a failed run. @default 2 */
  readonly backoffLimit?: number;
  /** How late a missed run may still start. @default Duration.hours(1) */
  readonly startingDeadline?: Duration;
  /**
   * Ship the script gzipped in the ConfigMap's `binaryData` and run it with
   * {@link GZIP_LOADER} (the script must export `main(args)`). For large
   * bundles: client-side `kubectl apply` keeps a copy of every object in a
   * 256 KiB annotation. `'brotli'` ships `<scriptName>.br` run by
   * {@link BROTLI_LOADER} instead (smaller, same contract).
   * @default false
   */
  readonly compress?: boolean | 'brotli';
  /** Mount the ServiceAccount token (only for jobs that call the Kubernetes API, with a least-privilege Role). @default false */
  readonly automountServiceAccountToken?: boolean;
  /** Labels of every object. @default - `app.kubernetes.io/*` labels from the name */
  readonly labels?: Readonly<Record<string, string>>;
  /** What the job calls; every other egress and all ingress are denied by its NetworkPolicy. @default - DNS only */
  readonly egress?: JobEgress;
  /** CIDRs that narrow the job's API server and AWS egress. @default - see {@link EgressOptions} */
  readonly network?: EgressOptions;
}

/**
 * A CronJob that runs a bundled Node.js script from a ConfigMap on the
 * official Node.js image: no custom image to build. Runs one at a time
 * (`concurrencyPolicy: Forbid`), with a starting deadline, backoff limit,
 * active deadline and history limits, as Pod Security "restricted" with its
 * own ServiceAccount.
 */
export class NodeScriptCronJob extends Construct {
  /** The CronJob; also `node.defaultChild`. */
  public readonly cronJob: kplus.CronJob;
  /** The ConfigMap holding the script and its config. */
  public readonly configMap: kplus.ConfigMap;
  /** The ServiceAccount of the job's pods. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** Path of the config file inside the container. */
  public readonly configPath: string;
  /** The exact command the container runs. */
  public readonly command: readonly string[];
  /** The default-deny NetworkPolicy of the job's pods (egress: DNS and `egress`). */
  public readonly networkPolicy: kplus.k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: NodeScriptCronJobProps) {
    super(scope, id);
    const v: PropsValidator = new PropsValidator(this);
    checkChartAtSynth(this);
    v.dnsLabel('name', props.name, 52);
    v.matches('scriptName', props.scriptName, /^[a-z0-9][a-z0-9.-]*\.js$/, 'must be a file name ending in .js');
    const timeZone = props.timeZone ?? 'UTC';
    validateSchedule(v, 'schedule', props.schedule, { property: 'timeZone', value: timeZone });
    if (props.image !== undefined) validatePinnedImage(v, 'image', props.image);
    const backoffLimit = v.integer('backoffLimit', props.backoffLimit ?? 2, 0, 20);
    const activeDeadline = props.activeDeadline ?? Duration.minutes(30);
    v.seconds('activeDeadline', activeDeadline, 60, 7 * 24 * 3600);
    const startingDeadline = props.startingDeadline ?? Duration.hours(1);
    v.seconds('startingDeadline', startingDeadline, 10, 7 * 24 * 3600);
    const env = resolveEnv(v, props.env);
    v.check(env.every(([, s]) => s.kind !== 'externalSecret'), 'env', env.filter(([, s]) => s.kind === 'externalSecret').map(([k]) => k),
      'AWS Secrets Manager references are not supported on jobs yet; sync the secret with an ExternalSecret and use EnvSource.fromSecret');

    const labels = props.labels ?? {
      'app.kubernetes.io/name': props.name,
      'app.kubernetes.io/instance': props.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };
    const configJson = `${stableJson(props.config, 2)}\n`;
    this.configPath = `${MOUNT}/config.json`;
    const args = props.args.map((a) => a.replace('{config}', this.configPath));
    const compress = props.compress ?? false;
    const brotli = compress === 'brotli';
    const packed = `${props.scriptName}${brotli ? '.br' : '.gz'}`;
    this.command = compress
      ? ['node', '-e', brotli ? BROTLI_LOADER : GZIP_LOADER, '--', `${MOUNT}/${packed}`, ...args]
      : ['node', `${MOUNT}/${props.scriptName}`, ...args];

    this.configMap = new kplus.ConfigMap(this, 'Files', {
      metadata: { name: props.name, labels },
      data: compress ? { 'config.json': configJson } : { [props.scriptName]: props.script, 'config.json': configJson },
    });
    if (compress) {
      // zlib writes no timestamp: the same script gives the same bytes (brotli is deterministic too).
      const bytes = Buffer.from(props.script, 'utf8');
      const data = brotli ? brotliCompressSync(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }) : gzipSync(bytes, { level: 9 });
      this.configMap.addBinaryData(packed, data.toString('base64'));
    }
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: props.name, labels, annotations: { ...props.serviceAccountAnnotations } },
      automountToken: props.automountServiceAccountToken ?? false,
    });
    const resources = props.resources ? validateComputeResources(v, 'resources', props.resources) : {
      cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
      memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
    };
    const digest = createHash('sha256').update(props.script).update(configJson).digest('hex').slice(0, 16);
    this.cronJob = new kplus.CronJob(this, 'CronJob', {
      metadata: { name: props.name, labels },
      podMetadata: { labels, annotations: { 'ml-platform-constructs.dev/files-sha256': digest } },
      select: false,
      schedule: props.schedule,
      timeZone,
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline,
      successfulJobsRetained: 3,
      failedJobsRetained: 3,
      backoffLimit,
      activeDeadline,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: restrictedPodSecurity(NODE_UID),
    });
    const container = this.cronJob.addContainer({
      name: 'job',
      image: props.image ?? NODE_IMAGE,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: [...this.command],
      resources: {
        cpu: { request: resources.cpu.request, limit: resources.cpu.limit },
        memory: { request: resources.memory.request, limit: resources.memory.limit },
      },
      securityContext: restrictedContainerSecurity(NODE_UID),
      envVariables: Object.fromEntries(env.filter(([, s]) => s.kind === 'value').map(([k, s]) => [k, s._toEnvValue(this, `EnvValue${k}`)])),
    });
    for (const [name, source] of env.filter(([, s]) => s.kind === 'secret')) {
      container.env.addVariable(name, source._toEnvValue(this, `EnvSecret${name}`));
    }
    container.mount(MOUNT, kplus.Volume.fromConfigMap(this, 'FilesVolume', this.configMap, { name: 'files' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.gibibytes(1) }));
    addPodSeccomp(ApiObject.of(this.cronJob), '/spec/jobTemplate/spec/template/spec');
    this.networkPolicy = jobNetworkPolicy(this, 'NetworkPolicy', { name: props.name, labels, podLabels: labels, egress: props.egress ?? {}, network: props.network });
    this.node.defaultChild = this.cronJob;
  }
}
