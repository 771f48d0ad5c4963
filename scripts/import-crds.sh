#!/usr/bin/env bash
# Regenerates the typed CRD classes in imports/ from the upstream CRD files
# in ../shared/crds (or $CRDS_DIR). Offline: --no-check-upgrade, one file per
# command (cdk8s-cli takes only the first spec), and NAME:= module names so two
# kinds of one API group do not overwrite each other's module file.
set -euo pipefail
cd "$(dirname "$0")/.."
crds="${CRDS_DIR:-../shared/crds}"
out=imports
# module-name:=file (relative to $crds)
specs=(
  rollout:=argo-rollouts/rollout-crd.yaml
  analysistemplate:=argo-rollouts/analysis-template-crd.yaml
  virtualservice:=istio/networking.istio.io_virtualservices.yaml
  destinationrule:=istio/networking.istio.io_destinationrules.yaml
  nodepool:=karpenter/karpenter.sh_nodepools.yaml
  ec2nodeclass:=karpenter/karpenter.k8s.aws_ec2nodeclasses.yaml
  scaledobject:=keda/keda.sh_scaledobjects.yaml
  servicemonitor:=prometheus-operator/monitoring.coreos.com_servicemonitors.yaml
  prometheusrule:=prometheus-operator/monitoring.coreos.com_prometheusrules.yaml
  schedule:=velero/velero.io_schedules.yaml
  restore:=velero/velero.io_restores.yaml
  externalsecret:=external-secrets/external-secrets.io_externalsecrets.yaml
  featurestore:=feast/feast.dev_featurestores.yaml
)
rm -rf "$out"
mkdir -p "$out"
for spec in "${specs[@]}"; do
  name="${spec%%:=*}"
  file="${spec#*:=}"
  npx --no-install cdk8s import "${name}:=${crds}/${file}" --language typescript --output "$out" --no-save --no-check-upgrade >/dev/null
done
ls "$out"
