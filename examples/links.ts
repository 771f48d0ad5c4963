import { ObservabilityLinks } from 'ml-platform-constructs';

/**
 * Where the examples' alerts link: Grafana behind the cluster's ingress, and
 * the synthesized `runbooks/` folder as the GitOps repository shows it.
 * PRODUCTION presets require both (`setObservabilityLinks` / `MlApp` `links`).
 */
export const EXAMPLE_LINKS: ObservabilityLinks = {
  grafanaUrl: 'https://grafana.ml.example.com',
  runbookBaseUrl: 'https://github.com/example-org/ml-gitops/blob/main/dist/runbooks',
};
