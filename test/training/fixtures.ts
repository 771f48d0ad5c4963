// Shared fixtures of the training tests: pools, a job, the controller bundle.
import { join } from 'node:path';
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { build } from 'esbuild';
import { SpotTrainingPool, SpotTrainingPoolProps, TrainingJobProps } from '../../src/training/spot-training-pool';
import { AwsIdentity } from '../../src/core/labels';
import { testChart } from '../support/synth';
import { assertValidationError } from '../support/assert';

export const CONTROLLER_ENTRY = join(__dirname, '..', '..', 'src', 'cli', 'spot-fallback-controller.ts');
export const BUNDLE = join(__dirname, '..', '..', 'bundles', 'spot-fallback-controller.js');

/** Builds the controller bundle in memory, as `npm run bundle` would (esbuild, CommonJS for Node 20). */
export async function buildControllerScript(): Promise<string> {
  const result = await build({
    entryPoints: [CONTROLLER_ENTRY], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true,
    legalComments: 'none', charset: 'utf8', write: false, logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export const CPU_LIMITS = { cpu: 64, memory: Size.gibibytes(256) };
export const GPU_LIMITS = { cpu: 96, memory: Size.gibibytes(384), gpus: 8 };

export function cpuPool(props: Partial<SpotTrainingPoolProps> = {}, namespace = 'ml-train') {
  const { chart } = testChart(namespace);
  const pool = new SpotTrainingPool(chart, 'cpu-train', { clusterName: 'ml-prod', nodeRole: 'KarpenterNodeRole-ml-prod', limits: CPU_LIMITS, ...props });
  return { chart, pool };
}

export function gpuPool(props: Partial<SpotTrainingPoolProps> = {}) {
  return cpuPool({ gpu: {}, limits: GPU_LIMITS, ...props });
}

export const JOB: TrainingJobProps = {
  image: 'myregistry.io/trainer:1.4.0',
  resources: { cpu: { request: kplus.Cpu.units(7), limit: kplus.Cpu.units(8) }, memory: { request: Size.gibibytes(28), limit: Size.gibibytes(30) } },
  checkpoint: { uri: 's3://ml-checkpoints/checkpoints/ml-train/resnet/' },
  awsIdentity: AwsIdentity.irsa('arn:aws:iam::123456789012:role/ml-train-resnet'),
};

export function assertInvalid(fn: () => unknown, path: string, ...fragments: string[]): void {
  assertValidationError(fn, path, ...fragments);
}

