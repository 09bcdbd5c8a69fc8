#!/bin/sh
# Prepares a Temporal namespace for the system: creates it if missing, then registers the custom search attributes
# its workflows set (workflows/src/search.rs: Trigger, DatasetVersion, ModelVersion, Decision), each only if
# missing. Idempotent. Runs in the temporalio/admin-tools image: the Kubernetes Job temporal-init and the Compose
# one-shot of the same name (deploy/compose/docker-compose.yml mounts this file).
#   TEMPORAL_ADDRESS (default temporal:7233), TEMPORAL_NAMESPACE (default default),
#   TEMPORAL_NAMESPACE_RETENTION (default 720h; used only when the namespace is created here)
set -eu
address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-720h}
attributes="Trigger=Keyword DatasetVersion=Keyword ModelVersion=Int Decision=Keyword"
listing=$(mktemp)

tries=0
until temporal operator cluster health --address "$address" 2>/dev/null | grep -q SERVING; do
  tries=$((tries + 1))
  [ "$tries" -lt 90 ] || { echo "temporal-init: Temporal at $address is not serving" >&2; exit 1; }
  sleep 2
done

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "temporal-init: namespace $namespace exists"
else
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
  echo "temporal-init: namespace $namespace created (retention $retention)"
fi

# A new namespace takes a moment to reach the frontend's cache.
tries=0
until temporal operator search-attribute list --address "$address" --namespace "$namespace" >"$listing" 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { cat "$listing" >&2; exit 1; }
  sleep 2
done

for pair in $attributes; do
  name=${pair%%=*}
  type=${pair#*=}
  if grep -qw "$name" "$listing"; then
    echo "temporal-init: search attribute $name present"
  else
    temporal operator search-attribute create --address "$address" --namespace "$namespace" \
      --name "$name" --type "$type"
    echo "temporal-init: search attribute $name ($type) created"
  fi
done
rm -f "$listing"
