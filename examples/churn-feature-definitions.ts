import { Duration } from 'cdk8s';
import { BatchSource, EntityValueType, FeastType, FeatureDefinitions } from 'ml-platform-constructs';

/** The guide's customer statistics, read from Parquet under the offline store's base URI. */
export const CUSTOMER_STATS_SOURCE = BatchSource.file({
  name: 'customer_stats',
  path: 'customer_stats.parquet',
  timestampField: 'event_timestamp',
  createdTimestampColumn: 'created',
});

/**
 * The churn model's features (the guide's Feature Stores section): one
 * entity, two online views sharing a source, one offline-only view from
 * another file, and a feature service selecting part of one view and all of
 * another.
 */
export const CHURN_FEATURES: FeatureDefinitions = {
  entities: [
    { name: 'customer', joinKey: 'customer_id', valueType: EntityValueType.INT64, description: 'Customer entity' },
  ],
  featureViews: [
    {
      name: 'customer_statistics',
      entities: ['customer'],
      ttl: Duration.days(1),
      schema: [
        { name: 'total_purchases', type: FeastType.INT64 },
        { name: 'avg_order_value', type: FeastType.FLOAT32 },
        { name: 'days_since_last_purchase', type: FeastType.INT64 },
        { name: 'favorite_category', type: FeastType.STRING, description: 'Most bought category, last 90 days' },
      ],
      source: CUSTOMER_STATS_SOURCE,
      tags: { team: 'growth' },
    },
    {
      name: 'customer_activity',
      entities: ['customer'],
      ttl: Duration.hours(6),
      schema: [
        { name: 'sessions_7d', type: FeastType.INT32 },
        { name: 'recent_categories', type: FeastType.array(FeastType.STRING) },
      ],
      source: CUSTOMER_STATS_SOURCE,
      owner: 'growth@example.com',
    },
    {
      name: 'customer_lifetime',
      entities: ['customer'],
      ttl: Duration.seconds(0),
      schema: [{ name: 'lifetime_value', type: FeastType.FLOAT64 }],
      source: BatchSource.file({ name: 'customer_lifetime', path: 's3://ml-warehouse-exports/lifetime/customer_lifetime.parquet', timestampField: 'computed_at' }),
      online: false,
      description: 'Training-only: too expensive to keep online',
    },
  ],
  featureServices: [
    {
      name: 'churn_v1',
      featureViews: [
        { featureView: 'customer_statistics', features: ['total_purchases', 'avg_order_value', 'days_since_last_purchase'] },
        { featureView: 'customer_activity' },
      ],
      description: 'Features of churn-model 1.x',
    },
  ],
};
