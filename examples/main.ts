// Entry point of `cdk8s synth` (see cdk8s.yaml): writes every example to dist/
// (MlApp.synth() writes the cost estimate, runbooks and model cards next to the
// manifests), a cost comparison by preset, and
// the example split by ownership (platform, teams, GitOps) into subfolders.
import { buildExamples } from './apps';
import { buildLayeredExamples } from './gitops/layered';
import { writeCostReports } from './reports';

const app = buildExamples();
app.synth();
writeCostReports(app);
buildLayeredExamples(app.outdir);
