# The GPU check: eval times (issue 11 table), crossin vs lm-eval, then the embedded_gpu experiment with what is left.
# On a lent GPU machine after ../shared/offline-gpu/prepare.sh and its part transfers (repo root, parts in /tmp/stage):
#   bash bench/gpu_check.sh LIMIT_SECONDS     (what 2026-11-26 ran, as .gpu/run/check.sh; summary under $OUT)
LIMIT=${1:-580}
: "${OUT:?OUT must name a folder for the summary (the device tool sets it)}"
[ -f "${SETUP:-.gpu/run/setup.sh}" ] || { echo "error: ${SETUP:-.gpu/run/setup.sh} missing: run ../shared/offline-gpu/prepare.sh first" >&2; exit 2; }
. ${SETUP:-.gpu/run/setup.sh}  # SETUP=/dev/null for a local smoke run with TIMES_ARGS/SPEED_ARGS/EXP_ARGS
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/summary.txt"
keep() { grep -v -E "Loading weights|it/s\]|s/it\]|^\s*$" ; }
echo "== eval_times (setup took ${SECONDS}s)" | tee -a "$OUT/summary.txt"
timeout 200 python3 bench/eval_times.py $TIMES_ARGS --json "$OUT/eval_times.json" > "$OUT/eval_times.log" 2>&1
echo "rc $?" >> "$OUT/eval_times.log"; keep < "$OUT/eval_times.log" | grep -v Warning | tail -15 | tee -a "$OUT/summary.txt"
echo "== eval_speed (at ${SECONDS}s)" | tee -a "$OUT/summary.txt"
timeout 150 python3 bench/eval_speed.py ${SPEED_ARGS:---sets 150 --device cuda} > "$OUT/eval_speed.log" 2>&1
echo "rc $?" >> "$OUT/eval_speed.log"; grep -E "questions|crossin|strategies|speed-up|Error|rc " "$OUT/eval_speed.log" | tail -8 | tee -a "$OUT/summary.txt"
LEFT=$((LIMIT - SECONDS - 20))
echo "== experiment (at ${SECONDS}s, ${LEFT}s left)" | tee -a "$OUT/summary.txt"
timeout $LEFT python3 -m crossin experiment run configs/experiments/embedded_gpu.yaml --out /tmp/runs/egpu \
  --parallel "$CROSSIN_DATA_DIR/par" $EXP_ARGS > "$OUT/experiment.log" 2>&1
echo "rc $?" >> "$OUT/experiment.log"
keep < "$OUT/experiment.log" | grep -E "\]|done|rc |rror|step|s/it" | tail -30 | tee -a "$OUT/summary.txt"
cp /tmp/runs/egpu/state.json "$OUT/experiment_state.json" 2>/dev/null
cp /tmp/runs/egpu/report/report.md "$OUT/experiment_report.md" 2>/dev/null
echo "== end at ${SECONDS}s" | tee -a "$OUT/summary.txt"
