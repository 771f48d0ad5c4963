// Entry point of `cdk8s synth` (see cdk8s.yaml): writes every example to dist/,
// with the cost estimate, runbooks and model cards next to the manifests, and
// the example split by ownership (platform, teams, GitOps) into subfolders.
import { writeDocuments } from '../src';
import { buildExamples } from './apps';
import { buildLayeredExamples } from './gitops/layered';
import { writeCostReports } from './reports';

const app = buildExamples();
app.synth();
writeCostReports(app);
writeDocuments(app, app.outdir);
buildLayeredExamples(app.outdir);
