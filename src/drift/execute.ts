/**
 * {@link executeDriftRun}: a run with both engines, for callers in-process
 * (tests, benchmarks, programs). The CLI bundles carry one engine each
 * (`src/cli/drift.ts`, `src/cli/drift-athena.ts`).
 */
import type { AthenaQueryApi } from './athena';
import { athenaEngine } from './athena';
import type { ResolvedDriftCheckConfig } from './config';
import type { FeatureWorkersOptions } from './memory-engine';
import { memoryEngine } from './memory-engine';
import type { DriftRunOptions, DriftRunOutcome } from './run';
import { runDriftCheck } from './run';

/** Options of {@link executeDriftRun}. */
export interface ExecuteDriftRunOptions extends DriftRunOptions {
  /** The Athena calls of engine 'athena' (a fake in tests). @default - an SDK client in the environment's region */
  readonly athenaApi?: AthenaQueryApi;
  /** Worker threads of engine 'memory'. @default - none: the features are checked on the calling thread */
  readonly workers?: FeatureWorkersOptions;
}

/** Runs the drift check of a validated config with the engine it names. Never throws (see `runDriftCheck`). */
export function executeDriftRun(config: ResolvedDriftCheckConfig, options: ExecuteDriftRunOptions = {}): Promise<DriftRunOutcome> {
  return runDriftCheck(config, { memory: memoryEngine(options.workers), athena: athenaEngine(options.athenaApi) }, options);
}
