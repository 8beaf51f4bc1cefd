#!/bin/sh
# Open speed and memory of quench-cli on a large sharded Hugging Face checkpoint (issue 11).
#
#   /work/shared/tools/make_big_hf.py /work/big/llama3-8b llama3-8b    # 16 GB, 4 bf16 shards
#   tools/bench/run_big_checkpoint.sh build /work/big/llama3-8b [--convert SCRATCH_DIR]
#
# "cold" runs first evict the checkpoint's files from the page cache (posix_fadvise DONTNEED on each
# file: only these files, not the whole cache; the binary and libraries stay cached). Each run is
# timed by /usr/bin/time -v: wall time, peak RSS, major page faults. With --convert, the whole
# checkpoint is also converted to one safetensors file in SCRATCH_DIR (deleted afterwards).
set -eu
build=$1
ckpt=$2
cli="$build/app/cli/quench-cli"
evict() {
  /usr/bin/python3 - "$ckpt" <<'EOF'
import os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    fd = os.open(os.path.join(d, f), os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
EOF
}
measure() {  # label, command...
  label=$1
  shift
  /usr/bin/time -v "$@" >/dev/null 2>/tmp/quench_big_time.$$ || { cat /tmp/quench_big_time.$$; exit 1; }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' /tmp/quench_big_time.$$)
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' /tmp/quench_big_time.$$)
  major=$(sed -n 's/.*Major (requiring I\/O) page faults: //p' /tmp/quench_big_time.$$)
  user=$(sed -n 's/.*User time (seconds): //p' /tmp/quench_big_time.$$)
  sys=$(sed -n 's/.*System time (seconds): //p' /tmp/quench_big_time.$$)
  printf '%-34s wall %-9s cpu %6ss user %6ss sys  peak RSS %6d MiB  major faults %s\n' "$label" "$wall" "$user" "$sys" \
    $((rss / 1024)) "$major"
  rm -f /tmp/quench_big_time.$$
}
du -sh "$ckpt"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 1 2 3; do
  evict
  measure "inspect (cold) #$i" "$cli" inspect "$ckpt"
done
for i in 1 2 3; do
  measure "inspect (warm) #$i" "$cli" inspect "$ckpt"
done
evict
measure "inspect --stats --json (cold)" "$cli" inspect "$ckpt" --stats --json
measure "inspect --stats --json (warm)" "$cli" inspect "$ckpt" --stats --json
if [ "${3:-}" = "--convert" ]; then
  out="$4/quench-big-convert.safetensors"
  evict
  measure "convert to one safetensors (cold)" "$cli" convert "$ckpt" "$out" --quiet
  rm -f "$out"
fi
