/** Where the drift checker reads a data window from, and in which file format. */

/** File format of a data window. */
export type DriftDataFormat = 'csv' | 'jsonl' | 'parquet';

/** The supported data formats, in documentation order. */
export const DRIFT_DATA_FORMATS: readonly DriftDataFormat[] = ['csv', 'jsonl', 'parquet'];

/** Where a data window (reference or current) is read from. */
export interface DriftDataSource {
  /**
   * Local path (relative paths resolve against the config file's directory),
   * `https://` / `http://` URL, or `s3://bucket/key`. A `.gz` suffix on CSV and
   * JSON Lines files means gzip-compressed.
   */
  readonly uri: string;
  /**
   * File format.
   * @default - inferred from the extension: `.csv`, `.jsonl`/`.ndjson`, `.parquet`/`.pq`
   */
  readonly format?: DriftDataFormat;
}
