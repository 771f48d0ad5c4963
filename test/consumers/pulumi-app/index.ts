import * as pulumi from '@pulumi/pulumi';
import { CostPreset } from 'ml-platform-constructs';
import { ModelServingStack } from 'ml-platform-constructs/pulumi';

const config = new pulumi.Config();
const stack = new ModelServingStack('serving', {
  cluster: {
    name: config.require('clusterName'),
    oidcProvider: { arn: config.require('oidcProviderArn'), url: config.require('oidcProviderUrl') },
    kubeconfig: 'apiVersion: v1\nkind: Config\n',
  },
  namespace: 'ml-serving',
  preset: CostPreset.DEV,
  models: [{ id: 'churn-model', image: 'myregistry.io/churn-model:v1.2.0', version: { model: '1.2.0', trainingCommit: '9f1c2ab', dataVersion: 'd1', hyperparameters: {} } }],
});

export const bindings = stack.bindings;
