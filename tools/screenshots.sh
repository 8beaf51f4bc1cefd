#!/bin/sh
# Render the README screenshots with the offscreen platform (no display needed):
#   tools/screenshots.sh [BUILD_DIR]      (default: build-gui)
# Writes resources/screenshots/main-demo.png and main-tinystories.png.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-gui}
quench=$build/app/gui/quench
out=$root/resources/screenshots
mkdir -p "$out"
# A throwaway settings folder: no first-run demo, no remembered layout from a desktop session.
config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$config"

"$quench" --demo --select blk.0.attn_q.weight --log --size 1280x760 --screenshot "$out/main-demo.png"
"$quench" --select model.layers.1.mlp.down_proj.weight --size 1280x760 --screenshot "$out/main-tinystories.png" \
  "$root/../shared/data/models/TinyStories-656K/model.safetensors"
ls -l "$out"
