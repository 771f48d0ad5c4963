/**
 * The restore drill's script and its configuration (kept as a module so
 * existing imports keep working). The drill's logic lives in
 * `./restore-drill`; its command is `src/cli/restore-drill.ts`, bundled to
 * `bundles/restore-drill.js` by `npm run bundle`.
 */
import { readBundle } from '../core/bundles';

export { DRILL_FAILURE_METRIC, DRILL_METRICS, DRILL_PUSH_JOB } from './restore-drill';
export type { DrillWorkload, RestoreDrillConfig } from './restore-drill';

/**
 * The bundled drill script (`bundles/restore-drill.js`), as the drill's
 * ConfigMap ships it: `node restore-drill.js run --config config.json`.
 * @deprecated read it with `readBundle('restore-drill')`.
 */
export const RESTORE_DRILL_SCRIPT: string = readBundle('restore-drill');
