#!/bin/bash
# run_slurm.sh SWAN COMPARE MODEL_DIR WORK_DIR
# A real Slurm cluster on 3 testbed hosts runs launch/swan.sbatch end to end
# (srun --mpi=pmix, 4 ranks, a sharded global group): its per-token NLL must
# agree within 1e-4 with one process, its result lines must name the hosts,
# and a bad job must come back as a failed job with swan's one-line error.
# Exits 77 (skipped) where the machine lacks root, namespaces or Slurm.
set -euo pipefail
swan=$1 compare=$2 model=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
. "$here/lib.sh"
export SWAN_BIN=$swan
rm -rf "$work"
# Slurm first: without it there is nothing to test, whatever the namespaces.
for c in slurmctld slurmd sbatch munged; do
  PATH=$PATH:/usr/sbin command -v "$c" > /dev/null || {
    echo "skipped: needs Slurm and munge ('$c' is missing)"
    exit 77
  }
done
testbed_up "$work"
"$testbed" slurm up || exit $?
docs=()
for n in 3000 700; do
  head -c "$n" "$model/doc.bin" > "$work/doc$n.bin"
  docs+=("$work/doc$n.bin")
done
"$swan" score -m "$model" --tokenizer bytes --chunk 96 --threads 1 \
  --dump-nll "$work/local.f32" "${docs[@]}" > /dev/null
cd "$work"
timeout -s KILL 120 "$testbed" slurm sbatch --nodes=3 --ntasks=4 "$root/launch/swan.sbatch" score -m "$model" \
  --tokenizer bytes --chunk 96 --nope-group 2 --dump-nll "$work/slurm.f32" "${docs[@]}" \
  > "$work/slurm.out" || { cat "$work/slurm.out"; exit 1; }
"$compare" "$work/slurm.f32" "$work/local.f32" 1e-4
hosts=$(grep -o '"host":"swan-h[0-9]*"' "$work/slurm.out" | sort -u | wc -l)
if [ "$hosts" -lt 2 ]; then
  echo "FAIL: the Slurm job's result lines name $hosts testbed hosts, want at least 2"
  exit 1
fi
echo "ok: launch/swan.sbatch on 3 Slurm nodes: $(grep -c '^{' "$work/slurm.out") documents agree"
# A job that fails must say why in one line and fail as a job.
if timeout -s KILL 120 "$testbed" slurm sbatch --nodes=2 --ntasks=3 "$root/launch/swan.sbatch" score \
  -m "$work/no-such-model" "${docs[0]}" > "$work/bad.out" 2>&1; then
  echo "FAIL: a job on a missing model succeeded"
  exit 1
fi
grep -q "no-such-model" "$work/bad.out" || { cat "$work/bad.out"; echo "FAIL: no error line"; exit 1; }
echo "ok: a job on a missing model failed with: $(grep -m1 'error' "$work/bad.out")"
