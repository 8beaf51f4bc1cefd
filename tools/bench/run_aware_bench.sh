#!/bin/sh
# GPTQ on a 4096×4096 layer with 4096 calibration tokens (issue 15: at most 5 s on this machine).
#
#   tools/bench/run_aware_bench.sh BUILD_DIR
#
# Prints the load average before and after (figures are only comparable when it is low: the README
# records runs with load < 3), then bench_aware's three repetitions of GPTQ alone (H, its factor,
# the batched updates; int4 group:128 and int4 per row) and through the int method (plus the
# layer-output errors of GPTQ and RTN, what `quench-cli quantize --aware gptq` computes).
set -eu
build=$1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/tools/bench/bench_aware" --benchmark_repetitions=3 --benchmark_report_aggregates_only=false
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
