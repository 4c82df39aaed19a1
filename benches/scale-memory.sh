#!/usr/bin/env bash
# CPU time (median of 5; `perf stat` task-clock, so that a busy machine
# changes it less than wall time), wall time and peak memory of `patchbay
# lint` and `patchbay compile` (release build) on the specs benches/scale.rs times
# in process (10 kB, 100 kB and 1 MB; one and two auth methods; valid and
# with one error per endpoint). Prints a Markdown table. Run from the
# workspace root: benches/scale-memory.sh [PATCHBAY_BINARY]
set -euo pipefail
bin=${1:-target/release/patchbay}
[[ $# -gt 0 ]] || cargo build --release --locked -p patchbay-cli
cargo build --release --locked -p patchbay-benches --bin generate-spec
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
names=()
for size in 10000:10k 100000:100k 1000000:1m; do
  for methods in 1 2; do
    for kind in valid errors; do
      name=${size#*:}-${methods}m-$kind
      target/release/generate-spec "${size%:*}" "$methods" "$kind" >"$dir/$name.toml"
      names+=("$name")
    done
  done
done
echo "| spec | bytes | command | CPU time | wall time | peak RSS |"
echo "|---|---|---|---|---|---|"
for name in "${names[@]}"; do
  spec=$dir/$name.toml
  for command in lint compile; do
    [[ $command == compile && $name == *errors ]] && continue
    runs=()
    for _ in 1 2 3 4 5; do
      # A run that takes over 60 s is stopped and shows as 60 s.
      start=$(date +%s%N)
      /usr/bin/time -q -f '%M' -o "$dir/rss" perf stat -x, -e task-clock -o "$dir/clock" \
        timeout 60 "$bin" "$command" "$spec" >/dev/null 2>&1 || true
      end=$(date +%s%N)
      cpu=$(grep task-clock "$dir/clock" | cut -d, -f1)
      runs+=("$cpu $(( (end - start) / 1000 )) $(cat "$dir/rss")")
    done
    read -r cpu wall rss < <(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
    echo "| $name | $(wc -c <"$spec") | $command | $(printf '%.1f' "$cpu") ms | $(awk "BEGIN { printf \"%.1f\", $wall / 1000 }") ms | $(( rss / 1024 )) MB |"
  done
done
