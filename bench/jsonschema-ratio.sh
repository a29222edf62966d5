#!/usr/bin/env bash
# guestnet validate vs check-jsonschema on the same generated corpus, side by side in one run
# (issue 10: guestnet must be at least 100x faster). Both check every file against
# vm-operator's CRD; check-jsonschema gets the v1alpha5 openAPIV3Schema extracted from it.
#
#   bench/jsonschema-ratio.sh [FILES] [GUESTNET]     (defaults: 2000, target/release/guestnet)
#
# Needs python3 with PyYAML, check-jsonschema (pip install check-jsonschema==0.39.0), GNU time
# is not needed (bash's EPOCHREALTIME). The CRD comes from ../shared/fixtures/crd/.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
gn=${2:-target/release/guestnet}
crd=../shared/fixtures/crd/vmoperator.vmware.com_virtualmachines.yaml
if [ ! -f "$crd" ]; then echo "skipped: $crd is not there"; exit 0; fi
command -v check-jsonschema >/dev/null || { echo "skipped: check-jsonschema is not installed"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$crd" "$work" "$n" <<'PY'
import json, sys, yaml
crd, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
doc = yaml.safe_load(open(crd))
schema = next(v for v in doc["spec"]["versions"] if v["name"] == "v1alpha5")["schema"]["openAPIV3Schema"]
json.dump(schema, open(f"{work}/v1alpha5.schema.json", "w"))
import os
os.makedirs(f"{work}/vms")
for i in range(n):
    v = 0x0A000000 | (i + 2)
    ip = ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))
    open(f"{work}/vms/vm-{i:05}.yaml", "w").write(f"""apiVersion: vmoperator.vmware.com/v1alpha5
kind: VirtualMachine
metadata:
  name: vm-{i}
  namespace: team-{i % 20}
spec:
  className: best-effort-small
  imageName: ubuntu-22.04
  storageClass: fast
  bootstrap:
    cloudInit:
      cloudConfig: {{}}
  network:
    hostName: vm-{i}
    interfaces:
    - name: eth0
      addresses: ["{ip}/12"]
      gateway4: 10.0.0.1
      nameservers: [10.0.0.53]
    - name: eth1
      dhcp4: true
""")
PY
bytes=$(cat "$work"/vms/*.yaml | wc -c)
now() { echo "${EPOCHREALTIME/./}"; }
# Best of several runs for both tools: the fastest run is the one least disturbed by the rest of
# the machine, and taking it for both keeps the comparison fair.
runs=${RUNS:-3}
best=999999999
for _ in $(seq "$runs"); do
  t0=$(now); "$gn" validate "$work/vms" --format json >"$work/gn.out" || true; t1=$(now)
  (( t1 - t0 < best )) && best=$(( t1 - t0 ))
done
gn_findings=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/gn.out")
cj=999999999
for _ in $(seq "$runs"); do
  t0=$(now)
  check-jsonschema --schemafile "$work/v1alpha5.schema.json" "$work"/vms/*.yaml >"$work/cj.out" 2>&1 && cj_status=0 || cj_status=$?
  t1=$(now)
  (( t1 - t0 < cj )) && cj=$(( t1 - t0 ))
done
printf '| tool | files | bytes | wall ms | result |\n|---|---|---|---|---|\n'
printf '| guestnet validate (vm-operator rules + stricter checks) | %d | %d | %d.%03d | %s findings |\n' "$n" "$bytes" $((best/1000)) $((best%1000)) "$gn_findings"
printf '| check-jsonschema %s (v1alpha5 openAPIV3Schema) | %d | %d | %d.%03d | exit %d |\n' \
  "$(check-jsonschema --version 2>/dev/null | awk '{print $NF}')" "$n" "$bytes" $((cj/1000)) $((cj%1000)) "$cj_status"
python3 -c "print(f'ratio: {$cj / $best:.0f}x')"
