#!/bin/bash
# Seed 000's workflow, for comparison with GitWriteCost: per change
#   jq '…' state.json > tmp && mv tmp state.json && git commit
# on a work tree. Usage: seed-workflow.sh STATE_JSON WRITES WORKDIR
set -euo pipefail
state=$1; writes=$2; work=$3/seed-$$
mkdir -p "$work" && cd "$work"
git init -q -b main .
git config user.name bench; git config user.email bench@host
cp "$state" state.json
git add state.json && git commit -qm "Initial state"
for i in $(seq 1 50); do   # warm-up
  jq --arg v "w$i" '.resources["app:api"].data.version = $v | .metadata.serial += 1' state.json > tmp && mv tmp state.json && git commit -qam "Deploy api w$i"
done
before=$(du -sk .git | cut -f1)
start=$(date +%s%N)
for i in $(seq 1 "$writes"); do
  jq --arg v "v$i" '.resources["app:api"].data.version = $v | .metadata.serial += 1' state.json > tmp && mv tmp state.json && git commit -qam "Deploy api v$i"
done
end=$(date +%s%N)
after=$(du -sk .git | cut -f1)
awk -v n="$writes" -v ns=$((end - start)) 'BEGIN { printf "seed workflow: ms/write mean=%.2f\n", ns / n / 1e6 }'
echo "seed workflow: .git growth per 1000 writes: $(( (after - before) * 1000 / writes )) KiB (git commit runs gc --auto)"
