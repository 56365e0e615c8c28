#!/bin/sh
# compare.sh BEFORE.test AFTER.test [RUNS]: run two builds of the perf test
# binary (go test -c ./aot/perf) alternately, RUNS times each (default 3),
# and print per-kernel medians of both and the after/before ratios.
set -e
before=$1 after=$2 runs=${3:-3}
dir=$(mktemp -d)
cd "$(dirname "$0")"
i=0
while [ $i -lt "$runs" ]; do
	MWASM_PERF=1 MWASM_PERF_ROUNDS=${MWASM_PERF_ROUNDS:-3} MWASM_PERF_JSON=$dir/b$i.json "$before" -test.run TestPerf >/dev/null
	MWASM_PERF=1 MWASM_PERF_ROUNDS=${MWASM_PERF_ROUNDS:-3} MWASM_PERF_JSON=$dir/a$i.json "$after" -test.run TestPerf >/dev/null
	i=$((i + 1))
done
python3 - "$dir" <<'PY'
import json, glob, math, statistics, sys
d = sys.argv[1]
def load(p):
    out = {}
    for f in sorted(glob.glob(d + "/" + p + "*.json")):
        for k, es in json.load(open(f)).items():
            for e, v in es.items():
                out.setdefault(k, {}).setdefault(e, []).append(v)
    return out
b, a = load("b"), load("a")
print("%-10s %9s | %9s %9s %6s | %9s %9s %6s" % ("kernel", "wazero", "guard-bef", "guard-aft", "a/b", "expl-bef", "expl-aft", "a/b"))
lg = {"b": [0, 0], "a": [0, 0]}
for k in b:
    w = statistics.median(b[k]["wazero"] + a[k]["wazero"])
    gb, ga = statistics.median(b[k]["mwasm-guard"]), statistics.median(a[k]["mwasm-guard"])
    eb, ea = statistics.median(b[k]["mwasm-explicit"]), statistics.median(a[k]["mwasm-explicit"])
    print("%-10s %9.2f | %9.2f %9.2f %6.3f | %9.2f %9.2f %6.3f" % (k, w, gb, ga, ga / gb, eb, ea, ea / eb))
    lg["b"][0] += math.log(gb / w); lg["a"][0] += math.log(ga / w)
    lg["b"][1] += math.log(eb / w); lg["a"][1] += math.log(ea / w)
n = len(b)
print("geomean vs wazero: guard %.3f -> %.3f, explicit %.3f -> %.3f" % (
    math.exp(lg["b"][0] / n), math.exp(lg["a"][0] / n), math.exp(lg["b"][1] / n), math.exp(lg["a"][1] / n)))
PY
rm -rf "$dir"
