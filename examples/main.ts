// Entry point of `cdk8s synth` (see cdk8s.yaml): writes every example to dist/.
import { buildExamples } from './apps';

buildExamples().synth();
