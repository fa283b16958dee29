#!/bin/bash
# renditions.sh: time ims_renditions_make() on a 60 s 720p take (remux and transcode paths) against
# Debian's ffmpeg as a reference.  Prints its figures; never fails on time.
#
#   bench/renditions.sh [TAKE.mkv]
#
# Without an argument it uses the longest take recorded by the real server under /tmp/imsd-*/spool if
# one is at least 50 s long, else generates a 60 s 720p H.264 + Opus take with GStreamer.
# Needs: tests/tools/make-renditions built in $IMSD_BUILD_DIR (default build), ffmpeg/ffprobe
# (apt-get install -y ffmpeg), bc.  Wall and CPU (user+sys) seconds come from bash's `time`.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${IMSD_BUILD_DIR:-$ROOT/build}
TOOL=$BUILD/tests/tools/make-renditions
[ -x "$TOOL" ] || { echo "renditions.sh: build $TOOL first (ninja -C $BUILD)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/imsd-bench-renditions-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

duration_of() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null || echo 0; }

TAKE=${1:-}
if [ -z "$TAKE" ]; then
  best=0
  for f in $(ls -S /tmp/imsd-*/spool/*/*.mkv 2>/dev/null | head -20); do
    d=$(duration_of "$f"); d=${d%.*}; d=${d:-0}
    if [ "$d" -ge 50 ] && [ "$d" -gt "$best" ]; then best=$d; TAKE=$f; fi
  done
fi
if [ -z "$TAKE" ]; then
  TAKE=$WORK/take.mkv
  echo "generating a 60 s 720p take..."
  gst-launch-1.0 -q videotestsrc pattern=ball num-buffers=1800 ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
    x264enc bitrate=2500 speed-preset=veryfast tune=zerolatency ! h264parse ! queue ! matroskamux name=m ! \
    filesink location="$TAKE" audiotestsrc num-buffers=3000 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! \
    opusenc ! queue ! m.
fi
# A private copy: the spool of a finished server run may be cleaned up while this runs.
if [ "$TAKE" != "$WORK/take.mkv" ]; then cp "$TAKE" "$WORK/take.mkv"; echo "input: $TAKE"; TAKE=$WORK/take.mkv; fi
MEDIA=$(duration_of "$TAKE")
echo "take: $TAKE ($(stat -c %s "$TAKE") bytes, ${MEDIA} s)"
echo "machine: $(nproc) cores; GStreamer $(gst-inspect-1.0 --version | sed -n 2p | cut -d' ' -f2)"

cat > "$WORK/profiles.ini" <<'INI'
[profile transcode480]
max_width=854
max_height=480
mp4_max_height=480
h264_level=3.1
INI

# run NAME COMMAND...: wall seconds and CPU seconds (user+sys) into $WALL / $CPU.
run() {
  local name=$1; shift
  local TIMEFORMAT='%R %U %S'
  local t
  t=$( { time "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || echo "$name: FAILED: $(head -3 "$WORK/$name.err")" >&2; } 2>&1 )
  t=$(echo "$t" | tail -1)
  WALL=$(echo "$t" | awk '{print $1}')
  CPU=$(echo "$t" | awk '{print $2 + $3}')
}

report() {
  printf '%-34s wall %7.2f s  cpu %7.2f s  cpu/media-s %6.3f  wall vs ffmpeg %5.2fx\n' \
    "$1" "$2" "$3" "$(echo "$3 / $MEDIA" | bc -l)" "$(echo "$2 / $FFMPEG_WALL" | bc -l)"
}

mkdir -p "$WORK/remux" "$WORK/transcode"
run ffmpeg ffmpeg -nostdin -y -i "$TAKE" -c:v libx264 -preset veryfast -c:a aac "$WORK/ffmpeg.mp4"
FFMPEG_WALL=$WALL FFMPEG_CPU=$CPU
run ffmpeg1 ffmpeg -nostdin -y -i "$TAKE" -c:v libx264 -preset veryfast -threads 1 -c:a aac "$WORK/ffmpeg1.mp4"
FFMPEG1_WALL=$WALL FFMPEG1_CPU=$CPU
run remux "$TOOL" "$TAKE" default "$WORK/remux"
REMUX_WALL=$WALL REMUX_CPU=$CPU
run transcode "$TOOL" "$TAKE" transcode480 "$WORK/transcode" "$WORK/profiles.ini"
TRANSCODE_WALL=$WALL TRANSCODE_CPU=$CPU

echo
report "ffmpeg libx264 veryfast + aac" "$FFMPEG_WALL" "$FFMPEG_CPU"
report "ffmpeg same, -threads 1" "$FFMPEG1_WALL" "$FFMPEG1_CPU"
report "imsd all renditions, remux" "$REMUX_WALL" "$REMUX_CPU"
report "imsd all renditions, transcode480" "$TRANSCODE_WALL" "$TRANSCODE_CPU"
echo
echo "remux:     $(cat "$WORK/remux.out")"
echo "transcode: $(cat "$WORK/transcode.out")"
echo "ffmpeg.mp4 $(stat -c %s "$WORK/ffmpeg.mp4") bytes ($(ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0 "$WORK/ffmpeg.mp4"))"
