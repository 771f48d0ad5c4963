/**
 * Price tables for the cost estimate. Plain data: pass your own (another
 * region, negotiated prices, current spot discounts) to `estimateMonthlyCost`.
 */

/** One EC2 instance type. */
export interface InstancePrice {
  /** vCPUs. */
  readonly vcpu: number;
  /** Memory in GiB. */
  readonly memoryGiB: number;
  /** GPUs (0 for none). */
  readonly gpus: number;
  /** On-demand Linux price per hour. */
  readonly hourly: number;
}

/** Prices of the managed services the platform uses. */
export interface ServicePrices {
  /** S3 Standard, per GB-month. */
  readonly s3GbMonth: number;
  /** EBS gp3 (PVCs), per GB-month. */
  readonly ebsGp3GbMonth: number;
  /** DynamoDB on-demand, per million write request units. */
  readonly dynamoDbWriteMillion: number;
  /** DynamoDB on-demand, per million read request units. */
  readonly dynamoDbReadMillion: number;
  /** DynamoDB storage, per GB-month. */
  readonly dynamoDbGbMonth: number;
  /** AWS Backup warm storage (EBS, S3, DynamoDB average), per GB-month. */
  readonly backupGbMonth: number;
  /** ElastiCache on-demand node prices per hour, by node type. */
  readonly elastiCacheNodes: Readonly<Record<string, number>>;
}

/** A region's prices: instances, typical spot discounts and managed services. */
export interface PriceTable {
  /** AWS region. */
  readonly region: string;
  /** Currency. */
  readonly currency: 'USD';
  /** When the prices were taken. */
  readonly date: string;
  /** Where they come from. */
  readonly source: string;
  /** Hours in a month (AWS bills 730 hours a month in its calculator). */
  readonly hoursPerMonth: number;
  /** Instance types. */
  readonly instances: Readonly<Record<string, InstancePrice>>;
  /** Typical spot discount per instance family (0.65 = 65% below on-demand). */
  readonly spotDiscount: Readonly<Record<string, number>>;
  /** Managed services. */
  readonly services: ServicePrices;
}

const i = (vcpu: number, memoryGiB: number, hourly: number, gpus = 0): InstancePrice => ({ vcpu, memoryGiB, gpus, hourly });

/**
 * us-east-1 on-demand Linux prices of the common families. Source: the
 * Amazon EC2 On-Demand pricing page and the ElastiCache, DynamoDB, S3, EBS
 * and AWS Backup pricing pages for US East (N. Virginia); these list prices
 * have been stable since 2023 (DynamoDB on-demand since its November 2024
 * reduction). Spot discounts are typical savings shown by the EC2 Spot
 * Instance Advisor for these families: spot prices move hourly, so treat them
 * as planning figures and pass your own table for commitments.
 */
export const US_EAST_1: PriceTable = Object.freeze({
  region: 'us-east-1',
  currency: 'USD',
  date: '2026-11-01',
  source: 'AWS public price lists for US East (N. Virginia): EC2 On-Demand (Linux), ElastiCache, DynamoDB on-demand, S3 Standard, EBS gp3, AWS Backup; spot discounts from the EC2 Spot Instance Advisor',
  hoursPerMonth: 730,
  instances: Object.freeze({
    'c5.large': i(2, 4, 0.085), 'c5.xlarge': i(4, 8, 0.17), 'c5.2xlarge': i(8, 16, 0.34), 'c5.4xlarge': i(16, 32, 0.68),
    'c6i.large': i(2, 4, 0.085), 'c6i.xlarge': i(4, 8, 0.17), 'c6i.2xlarge': i(8, 16, 0.34), 'c6i.4xlarge': i(16, 32, 0.68),
    'm5.large': i(2, 8, 0.096), 'm5.xlarge': i(4, 16, 0.192), 'm5.2xlarge': i(8, 32, 0.384), 'm5.4xlarge': i(16, 64, 0.768),
    'm6i.large': i(2, 8, 0.096), 'm6i.xlarge': i(4, 16, 0.192), 'm6i.2xlarge': i(8, 32, 0.384), 'm6i.4xlarge': i(16, 64, 0.768),
    'r5.large': i(2, 16, 0.126), 'r5.xlarge': i(4, 32, 0.252), 'r5.2xlarge': i(8, 64, 0.504), 'r5.4xlarge': i(16, 128, 1.008),
    'r6i.large': i(2, 16, 0.126), 'r6i.xlarge': i(4, 32, 0.252), 'r6i.2xlarge': i(8, 64, 0.504), 'r6i.4xlarge': i(16, 128, 1.008),
    'g4dn.xlarge': i(4, 16, 0.526, 1), 'g4dn.2xlarge': i(8, 32, 0.752, 1), 'g4dn.12xlarge': i(48, 192, 3.912, 4),
    'g5.xlarge': i(4, 16, 1.006, 1), 'g5.2xlarge': i(8, 32, 1.212, 1), 'g5.12xlarge': i(48, 192, 5.672, 4),
    'p3.2xlarge': i(8, 61, 3.06, 1), 'p3.8xlarge': i(32, 244, 12.24, 4), 'p3.16xlarge': i(64, 488, 24.48, 8),
    'p4d.24xlarge': i(96, 1152, 32.7726, 8),
  }),
  spotDiscount: Object.freeze({ c5: 0.6, c6i: 0.6, m5: 0.6, m6i: 0.6, r5: 0.65, r6i: 0.65, g4dn: 0.65, g5: 0.6, p3: 0.7, p4d: 0.6 }),
  services: Object.freeze({
    s3GbMonth: 0.023,
    ebsGp3GbMonth: 0.08,
    dynamoDbWriteMillion: 0.625,
    dynamoDbReadMillion: 0.125,
    dynamoDbGbMonth: 0.25,
    backupGbMonth: 0.05,
    elastiCacheNodes: Object.freeze({
      'cache.t4g.micro': 0.016, 'cache.t4g.small': 0.032, 'cache.t4g.medium': 0.065,
      'cache.m6g.large': 0.149, 'cache.m7g.large': 0.158, 'cache.r6g.large': 0.206, 'cache.r7g.large': 0.219,
    }),
  }),
});

/** Family of an instance type (`c5.large` -> `c5`). */
export function familyOf(instanceType: string): string {
  return instanceType.split('.')[0];
}
