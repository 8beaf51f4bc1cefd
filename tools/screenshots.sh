#!/bin/sh
# Regenerate every README screenshot with the offscreen platform (no display needed):
#   tools/screenshots.sh [BUILD_DIR]      (default: build-gui)
# Needs BUILD_DIR's quench and widget tests built (ninja -C BUILD_DIR quench widgets_test_...).
# Writes resources/screenshots/:
#   main-demo.png, main-tinystories.png              the workbench, histogram tab
#   main-demo-<tab>.png, main-tinystories-<tab>.png  each view tab (saturation, outliers, nf4, error,
#                                                    divergence, classroom; histogram = the above)
#   main-presentation.png, main-dark.png             presentation mode and the dark theme
#   main-demo-1920.png, main-presentation-1280.png    a 1920×1200 desktop and a 1280×720 projector
#   view-*.png                                       the widget tests' own screenshots
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-gui}
quench=$build/app/gui/quench
out=$root/resources/screenshots
model=$root/../shared/data/models/TinyStories-656K/model.safetensors
mkdir -p "$out"
# A throwaway settings folder: no first-run demo, no remembered layout or theme from a desktop session.
config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$config"
# A 1280×720 projector is the smallest screen the window is made for (issue 13): the README shows it.
size=1280x720

# A 4-bit per-row recipe shows grid, clip lines and saturation better than the int8 default.
cat > "$config/int4.json" <<'EOF'
{"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4, "partition": "row", "calib": "absmax"}]}
EOF
cat > "$config/int4-tensor.json" <<'EOF'
{"quench_recipe": 1, "rules": [{"tensors": "*", "method": "int", "bits": 4, "partition": "tensor", "calib": "percentile:99.9"}]}
EOF
cat > "$config/nf4.json" <<'EOF'
{"quench_recipe": 1, "rules": [{"tensors": "*", "method": "nf4", "block": 64}]}
EOF

# The offscreen platform's screen is 800×600 unless told otherwise, and the window fits itself
# into its screen: give it a screen of the shot's size (the last --size wins, as in quench).
shot() {  # shot OUT.png ARGS...
  name=$1
  shift
  screen=$size
  prev=
  for a in "$@"; do
    [ "$prev" = --size ] && screen=$a
    prev=$a
  done
  w=${screen%x*}
  h=${screen#*x}
  printf '{"windowFrameMargins": false, "screens": [{"name": "shot", "x": 0, "y": 0, "width": %s, "height": %s, "logicalDpi": 96, "dpr": 1}]}\n' \
    "$w" "$h" > "$config/screen.json"
  QT_QPA_PLATFORM="offscreen:configfile=$config/screen.json" "$quench" --size "$size" --screenshot "$out/$name" "$@"
  echo "$out/$name"
}

demo="--demo --select blk.0.attn_q.weight"
tiny="--select model.layers.1.mlp.down_proj.weight $model"
# The histogram tab: the whole tensor under one per-tensor grid (demo), one row's grid (TinyStories).
shot main-demo.png $demo --recipe "$config/int4-tensor.json" --log --tab histogram
shot main-tinystories.png $tiny --recipe "$config/int4.json" --part 3 --tab histogram
for tab in saturation outliers error; do
  shot "main-demo-$tab.png" $demo --recipe "$config/int4.json" --tab "$tab"
  shot "main-tinystories-$tab.png" $tiny --recipe "$config/int4.json" --tab "$tab"
done
# --demo also loads the demo language model and evaluates the recipe on it: the Divergence tab is
# live.
shot main-demo-divergence.png $demo --recipe "$config/int4.json" --tab divergence
shot main-demo-classroom.png $demo --recipe "$config/int4.json" --tab classroom
shot main-demo-nf4.png $demo --recipe "$config/nf4.json" --tab nf4
shot main-tinystories-nf4.png $tiny --recipe "$config/nf4.json" --tab nf4
shot main-demo-error-histogram.png $demo --recipe "$config/int4.json" --error-histogram --tab histogram
shot main-presentation.png $demo --recipe "$config/int4-tensor.json" --theme light --presentation --size 1600x900 --tab histogram
shot main-presentation-1280.png $demo --recipe "$config/int4-tensor.json" --theme light --presentation --size 1280x720 --tab histogram
shot main-demo-1920.png $demo --recipe "$config/int4-tensor.json" --log --tab histogram --size 1920x1200
shot main-dark.png $demo --recipe "$config/int4-tensor.json" --theme dark --tab histogram

# The widget tests write their own view screenshots.
for t in "$build"/tests/widgets_test_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue  # not the *_autogen folders
  QUENCH_WRITE_SCREENSHOTS=1 "$t" >/dev/null 2>&1 || echo "warning: $(basename "$t") failed" >&2
done
ls -l "$out"
