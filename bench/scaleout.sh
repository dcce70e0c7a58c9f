#!/usr/bin/env bash
# Scale-out: how fast N `outbreak worker` processes drain the same 40 jobs
# from one PostgreSQL database, for each N given (default: 1 2 4).
#
#   bench/scaleout.sh [N...]
#
# Each job is a 1M-agent, 100-day simulation on one engine thread (about half
# a second alone), so a worker process is one busy core. For each N: a fresh
# database, 40 jobs submitted, then the clock runs from starting N workers
# until the 40th job has succeeded. Uses the server in
# OUTBREAK_BENCH_POSTGRES_URL, or starts a throwaway one (scripts/test-postgres).
# Environment: OUTBREAK (binary, default build/outbreak), JOBS (default 40),
# POPULATION (default 1000000), DAYS (default 100).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
outbreak=${OUTBREAK:-${root}/build/outbreak}
jobs=${JOBS:-40}
population=${POPULATION:-1000000}
days=${DAYS:-100}
counts=("$@")
((${#counts[@]} > 0)) || counts=(1 2 4)
[[ -x "${outbreak}" ]] || { echo "scaleout: ${outbreak} not built (make build)" >&2; exit 1; }

work=$(mktemp -d)
server_dir=""
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${server_dir}" ]] && "${root}/scripts/test-postgres" stop "${server_dir}" >/dev/null
  rm -rf "${work}"
}
trap cleanup EXIT

base_url=${OUTBREAK_BENCH_POSTGRES_URL:-}
if [[ -z "${base_url}" ]]; then
  server_dir=${work}/server
  base_url=$("${root}/scripts/test-postgres" start "${server_dir}" | tail -n 1)
fi
printf '{"population": %d, "days": %d}\n' "${population}" "${days}" >"${work}/scenario.json"

# The URL of database $1 on the same server.
database() { echo "${base_url%/*}/$1"; }

declare -A seconds
for n in "${counts[@]}"; do
  name="outbreak_scaleout_$$_${n}"
  psql "${base_url}" -qAtc "CREATE DATABASE ${name}"
  url=$(database "${name}")
  "${outbreak}" db migrate --database "${url}" >/dev/null
  for ((j = 0; j < jobs; ++j)); do
    "${outbreak}" submit "${work}/scenario.json" --name "job-${j}" --database "${url}" >/dev/null
  done
  start=$(date +%s.%N)
  pids=()
  for ((w = 0; w < n; ++w)); do
    "${outbreak}" worker --threads 1 --poll-seconds 0.05 --database "${url}" \
      >"${work}/worker-${n}-${w}.log" 2>&1 &
    pids+=($!)
  done
  until [[ $(psql "${url}" -qAtc "SELECT COUNT(*) FROM simulations WHERE status = 'succeeded'") \
    == "${jobs}" ]]; do
    sleep 0.05
  done
  end=$(date +%s.%N)
  for pid in "${pids[@]}"; do kill -TERM "${pid}"; done
  wait
  pids=()
  psql "${base_url}" -qAtc "DROP DATABASE ${name}"
  seconds[${n}]=$(awk -v a="${start}" -v b="${end}" 'BEGIN { print b - a }')
done

printf '| workers | seconds | jobs/s | speed-up vs %s |\n|---|---|---|---|\n' "${counts[0]}"
for n in "${counts[@]}"; do
  awk -v n="${n}" -v s="${seconds[${n}]}" -v first="${seconds[${counts[0]}]}" -v jobs="${jobs}" \
    'BEGIN { printf "| %d | %.2f | %.1f | %.2f× |\n", n, s, jobs / s, first / s }'
done
