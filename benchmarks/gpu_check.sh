#!/usr/bin/env bash
# The prepared device check: run once when a GPU machine is lent (the device tool runs it in the
# repository root with $OUT set), e.g. `bash benchmarks/gpu_check.sh` with a limit of 8 minutes.
#   device.csv            the GPU's name, memory and driver
#   agreement.txt         CPU-against-CUDA agreement of a short float64 run of every family
#   paper_cost_cuda.md    throughput of every paper experiment at its job size on CUDA
#   paper_cost_cuda.log   ... ending with the predicted paper wall time on that one GPU
# The image's python3 holds torch; jsonschema may be missing there, so the config is read unvalidated.
set -uo pipefail
OUT=${OUT:-results/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/device.csv" 2>&1
timeout 90 "$PY" benchmarks/gpu_check.py --device cuda > "$OUT/agreement.txt" 2>&1
timeout 330 "$PY" benchmarks/paper_cost.py --device cuda --rounds 2 --seconds 0.3 \
    --doc "$OUT/paper_cost_cuda.md" > "$OUT/paper_cost_cuda.log" 2>&1
cat "$OUT/device.csv" "$OUT/agreement.txt"
tail -n 1 "$OUT/paper_cost_cuda.log"
