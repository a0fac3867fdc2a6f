#!/usr/bin/env bash
# Run the workflow on two synthetic schemes through SLURM (issue 15, "a real cluster").
#
#   scripts/run_on_slurm.sh [WORKDIR]        # env: N=600 WAVES=3 SCHEMES=2 PY=.venv/bin/python
#                                            #      SNAKEMAKE_ARGS="-n" (extra snakemake arguments)
#                                            #      OVERRIDES=light.yaml (config keys for every scheme)
#
# 1. Makes sure a SLURM cluster answers (`sinfo`); as root on a machine without one, starts the
#    single-node cluster of scripts/slurm_local.sh.
# 2. Generates SCHEMES schemes of N participants x WAVES waves (python -m pipeline.demo) and one
#    config per scheme (benchmarks/bench_scale.py: write_study_config). OVERRIDES names a YAML
#    file of config keys merged over every scheme's config (e.g. a small bootstrap B for a quick
#    check: tests/test_slurm_cluster.py).
# 3. Runs the workflow for every scheme through `snakemake --profile profiles/slurm`: a project
#    with per-study files (config/studies/<name>.yaml, results/<study>/) gets one snakemake call
#    on a programme config listing every scheme; otherwise (one study per config file) one
#    snakemake per scheme, all at once, each in its own working directory. The profile's job
#    groups make each scheme ONE SLURM job (and the pooled jobs one more);
#    SNAKEMAKE_ARGS="--group-components study=K" packs K schemes into one SLURM job.
#    PROJECT=<dir> runs another copy of the project (its Snakefile, pipeline/ and config).
# 4. Checks every scheme produced its report, and prints the wall time, the number of SLURM jobs
#    and, as the last line, one JSON object {"schemes", "n", "waves", "wall_s", "slurm_jobs"}.
# Exit status: 0 when every scheme finished; the snakemake logs are in WORKDIR/logs/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT=$(cd "${PROJECT:-$ROOT}" && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
[[ $PROJECT == "$ROOT" ]] || export PYTHONPATH=$PROJECT${PYTHONPATH:+:$PYTHONPATH}
N=${N:-600}
WAVES=${WAVES:-3}
SCHEMES=${SCHEMES:-2}
SEED=${SEED:-20220201}
WORK=${1:-$(mktemp -d /tmp/socialcure_slurm.XXXXXX)}
WORK=$(mkdir -p "$WORK" && cd "$WORK" && pwd)

die() { echo "run_on_slurm: $*" >&2; exit 1; }

if [[ -n ${OVERRIDES:-} ]]; then
    [[ -f $OVERRIDES ]] || die "OVERRIDES=$OVERRIDES: no such file (a YAML file of config keys)"
    OVERRIDES=$(cd "$(dirname "$OVERRIDES")" && pwd)/$(basename "$OVERRIDES")
fi

if ! sinfo -h >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || die "no SLURM cluster answers (sinfo) and not root to start one: run sudo scripts/slurm_local.sh"
    "$ROOT/scripts/slurm_local.sh" >/dev/null
fi
command -v sbatch >/dev/null || die "sbatch not found"
# a group job that no node can hold is not refused by SLURM: it waits in the queue for ever
# (squeue reason PartitionConfig). Say so before submitting anything.
"$PY" - "$ROOT/profiles/slurm/config.yaml" <<'PYCODE' || exit 1
import subprocess
import sys

import yaml

prof = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
part = str(prof["default-resources"]["slurm_partition"])
cores, mem = int(prof["cores"]), int(dict(r.split("=") for r in prof["resources"])["mem_mb"])
out = subprocess.run(["sinfo", "-h", "-N", "-p", part, "-o", "%c %m"], capture_output=True,
                     text=True).stdout.split()
sizes = [(int(c), int(m.rstrip("+"))) for c, m in zip(out[::2], out[1::2])]
if not any(c >= cores and m >= mem for c, m in sizes):
    sys.exit(f"run_on_slurm: no node of SLURM partition '{part}' has the {cores} CPUs and {mem} MB"
             f" that one group job asks for (profiles/slurm/config.yaml: cores, resources mem_mb);"
             f" its nodes (CPUs, MB): {sizes}. Lower them in the profile, or name a partition"
             " with larger nodes (default-resources: slurm_partition).")
PYCODE
"$PY" -c "import snakemake_executor_plugin_slurm" 2>/dev/null ||
    die "the SLURM executor plugin is missing: $PY -m pip install snakemake-executor-plugin-slurm"

mkdir -p "$WORK/raw" "$WORK/config" "$WORK/logs"
echo "run_on_slurm: $SCHEMES schemes x $N participants x $WAVES waves in $WORK"
"$PY" -m pipeline.demo --out "$WORK/raw" --seed "$SEED" --n "$N" --waves "$WAVES" \
    --schemes "$SCHEMES" --no-readme >/dev/null
"$PY" - "$ROOT" "$PROJECT" "$WORK" "$SCHEMES" "${OVERRIDES:-}" <<'PYCODE'
import sys
from pathlib import Path

import yaml

root, project, work = (Path(a) for a in sys.argv[1:4])
schemes = int(sys.argv[4])
overrides = yaml.safe_load(Path(sys.argv[5]).read_text()) if sys.argv[5] else {}
sys.path.insert(0, str(root / "benchmarks"))
from bench_scale import base_config, run_commands, write_study_config  # noqa: E402
from pipeline.demo.schemes import scheme_names  # noqa: E402


def merge(base, over):  # mappings key by key, anything else replaced (as config defaults)
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
    return over


names = scheme_names(schemes) if schemes > 1 else ["demo"]
configs = {}
for name in names:
    folder = work / "raw" / (name if schemes > 1 else "")
    files = {p.name.split("_")[1]: p for p in sorted(folder.glob("demo_T*"))}
    path = write_study_config(work / "config", name, files, base_config(project))
    if overrides:
        cfg = merge(yaml.safe_load(path.read_text(encoding="utf-8")), overrides)
        path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    configs[name] = path
# with per-study files: writes work/programme.yaml listing every scheme (one snakemake call)
run_commands(work, configs, 1, project / "Snakefile", [])
PYCODE

start=$(date +%s.%N)
if [[ -d $PROJECT/config/studies ]]; then
    (cd "$PROJECT" && "$PY" -m snakemake -s "$PROJECT/Snakefile" --directory "$WORK/work" \
        --configfile "$WORK/programme.yaml" --profile "$ROOT/profiles/slurm" \
        ${SNAKEMAKE_ARGS:-} >"$WORK/logs/all.log" 2>&1) || true
else
    pids=()
    for cfg in "$WORK"/config/*.yaml; do
        name=$(basename "$cfg" .yaml)
        (cd "$PROJECT" && "$PY" -m snakemake -s "$PROJECT/Snakefile" --directory "$WORK/work/$name" \
            --configfile "$cfg" --profile "$ROOT/profiles/slurm" ${SNAKEMAKE_ARGS:-} \
            >"$WORK/logs/$name.log" 2>&1) &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || true; done
fi
end=$(date +%s.%N)

failed=0
jobs=0
for log in "$WORK"/logs/*.log; do
    n_jobs=$(grep -c "has been submitted with SLURM jobid" "$log" || true)
    jobs=$((jobs + n_jobs))
done
for cfg in "$WORK"/config/*.yaml; do
    name=$(basename "$cfg" .yaml)
    if [[ -d $PROJECT/config/studies ]]; then
        results=$WORK/work/results/$name log=$WORK/logs/all.log
    else
        results=$WORK/work/$name/results log=$WORK/logs/$name.log
    fi
    report=$(ls "$results"/report/*_report.pdf 2>/dev/null | head -1 || true)
    if [[ -z $report ]]; then
        failed=1
        echo "run_on_slurm: scheme $name has no report; see $log" >&2
        tail -20 "$log" >&2
    else
        echo "scheme $name: report $report"
    fi
done
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
printf '{"schemes": %d, "n": %d, "waves": %d, "wall_s": %s, "slurm_jobs": %d}\n' \
    "$SCHEMES" "$N" "$WAVES" "$wall" "$jobs"
exit $failed
