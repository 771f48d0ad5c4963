import { PropsValidator } from '../core/errors';
import { OnlineStoreKind } from '../features/stores';
import { ModelPlatformChart } from './platform-chart';
import { CostLine } from '../cost/estimate';
import { PriceTable, US_EAST_1 } from '../cost/prices';
import { trainingPoolCostLine } from '../training/cost';

/** Volumes the managed-service lines of a platform rest on (stated in each line). */
export interface PlatformUsage {
  /** Online feature reads per second, on average. @default 50 */
  readonly featureReadsPerSecond?: number;
  /** Online feature writes (materialization) per month. @default 10_000_000 */
  readonly featureWritesPerMonth?: number;
  /** Online store size in GB. @default 10 */
  readonly onlineStoreGb?: number;
  /** ElastiCache node type of an external Redis online store, and its node count. @default - cache.r7g.large x 2 */
  readonly elastiCache?: { readonly nodeType: string; readonly nodes: number };
  /** Model artifacts, registry and drift data in S3, GB. @default 50 */
  readonly s3Gb?: number;
  /** Backup storage (AWS Backup and Velero), GB. @default 100 */
  readonly backupGb?: number;
  /** Busy hours a month of the spot training pool. @default 160 */
  readonly trainingBusyHoursPerMonth?: number;
  /** Bytes one Athena query of a drift check scans (engine 'athena'). @default - estimated from each check's `expectedRows` (`DriftCronJob.athenaCostLine`) */
  readonly athenaBytesPerQuery?: number;
}

/**
 * The lines a platform costs outside its Kubernetes workloads: the managed
 * online store, S3 (twice with a DR copy), backup storage, the spot
 * training pool and the Athena queries of drift checks on Athena. Pass them as `extraLines` to `estimateMonthlyCost` with the
 * chart's synthesized objects.
 */
export function platformCostLines(chart: ModelPlatformChart, usage: PlatformUsage = {}, prices: PriceTable = US_EAST_1): CostLine[] {
  const s = prices.services;
  const round = (x: number) => Math.round(x * 100) / 100;
  const flat = (component: string, category: CostLine['category'], description: string, monthly: number): CostLine =>
    ({ component, category, description, monthly: { min: round(monthly), expected: round(monthly), max: round(monthly) } });
  const ns = chart.namespace ?? 'default';
  const lines: CostLine[] = [];
  const fs = chart.featureStore;
  if (fs) {
    const gb = usage.onlineStoreGb ?? 10;
    if (fs.onlineStore.kind === OnlineStoreKind.DYNAMODB) {
      const readsPerSecond = usage.featureReadsPerSecond ?? 50;
      const reads = readsPerSecond * 3600 * prices.hoursPerMonth;
      const writes = usage.featureWritesPerMonth ?? 10_000_000;
      lines.push(flat(`${ns}/${fs.name}`, 'managed',
        `DynamoDB on-demand: ${readsPerSecond} reads/s, ${(writes / 1e6).toFixed(1)}M writes/month, ${gb} GB`,
        (reads / 1e6) * s.dynamoDbReadMillion + (writes / 1e6) * s.dynamoDbWriteMillion + gb * s.dynamoDbGbMonth));
    } else if (fs.onlineStore.kind === OnlineStoreKind.REDIS) {
      const node = usage.elastiCache ?? { nodeType: 'cache.r7g.large', nodes: 2 };
      const hourly = s.elastiCacheNodes[node.nodeType];
      if (hourly === undefined) {
        new PropsValidator(`cost estimate of feature store ${ns}/${fs.name}`).fail('usage.elastiCache.nodeType', node.nodeType,
          `is not in the ${prices.region} price table (known: ${Object.keys(s.elastiCacheNodes).join(', ')})`);
      }
      lines.push(flat(`${ns}/${fs.name}`, 'managed', `ElastiCache ${node.nodes} x ${node.nodeType}`, node.nodes * hourly * prices.hoursPerMonth));
    }
  }
  const s3Gb = usage.s3Gb ?? 50;
  const dr = chart.backups !== undefined;
  lines.push(flat(`${ns}/storage`, 'storage', `S3 Standard ${s3Gb} GB${dr ? ', copied to the DR region' : ''}`, s3Gb * s.s3GbMonth * (dr ? 2 : 1)));
  if (chart.backups) {
    const gb = usage.backupGb ?? 100;
    lines.push(flat(`${ns}/backups`, 'backup', `${gb} GB of backups (RPO ${chart.backups.policy.rpo.toHumanString()})${chart.backups.policy.drRegion ? ', copied to the DR region' : ''}`,
      gb * s.backupGbMonth * (chart.backups.policy.drRegion ? 2 : 1)));
  }
  for (const job of Object.values(chart.driftJobs)) {
    const line = job.athenaCostLine(usage.athenaBytesPerQuery);
    if (line) lines.push(line);
  }
  if (chart.trainingPool) {
    lines.push(trainingPoolCostLine(chart.trainingPool.costProfile, { prices, busyHoursPerMonth: usage.trainingBusyHoursPerMonth }));
  }
  return lines;
}
