#!/usr/bin/env python3
"""selftest.py: the fidelity tooling measured against known defects.

    selftest.py FIDELITY_MEDIA_BINARY

Generates a 12 s 640x360 clip with tests/tools/fidelity-media, encodes 8 s
of it from 3.3 s on with ffmpeg into Matroska (H.264 without B-frames or
VP8, Opus: what imsd writes), with a known defect each time, and checks
that analyze.py reports exactly that defect:
  clean (H.264 and VP8)   no frame missing, every flash has its beep, offsets
                          within 10 ms (Opus pre-skip), timeline within 5 ms
  audio late by 100 ms    offsets 85..110 ms at every flash
  frames 100..109 gone    10 missing as one range [100, 109], a video gap
  +500 ms from frame 150  timeline deviation ~500 ms, a video gap
  a frame twice          1 duplicate (that number)
  begins inside a beep   video from the flash at 4.000 s, audio from 4.040 s
                          (placed at 40 ms): that flash is marked beepCut, not
                          "without beep", the later ones measured
Exit status 0 iff every check holds (one line per check on stdout).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import analyze  # noqa: E402

failures = 0


def check(name, ok, detail):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures += 1


def encode(src, out, vf=None, af=None, codec="h264", extra_in=None, video_ss="3.3", audio_ss="3.3",
           audio_delay=None):
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", video_ss, "-i", src["y4m"]]
    if audio_delay:
        cmd += ["-itsoffset", audio_delay]
    cmd += ["-ss", audio_ss, "-i", src["wav"], "-t", "8", "-fps_mode", "passthrough"]
    if vf:
        cmd += ["-vf", vf]
    if af:
        cmd += ["-af", af]
    if codec == "vp8":
        cmd += ["-c:v", "libvpx", "-b:v", "800k", "-deadline", "realtime", "-cpu-used", "8"]
    else:
        cmd += ["-c:v", "libx264", "-bf", "0", "-b:v", "800k", "-preset", "veryfast"]
    cmd += ["-c:a", "libopus", "-b:a", "48k", out]
    subprocess.run(cmd, check=True)
    return analyze.analyze(out, 30, src["frames"], src["flashEvery"], None)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="imsd-fidelity-selftest-") as tmp:
        src = json.loads(subprocess.run(
            [sys.argv[1], "--y4m", os.path.join(tmp, "m.y4m"), "--wav", os.path.join(tmp, "m.wav"),
             "--seconds", "12"], check=True, stdout=subprocess.PIPE).stdout)

        for codec in ("h264", "vp8"):
            r = encode(src, os.path.join(tmp, f"clean-{codec}.mkv"), codec=codec)
            f, s = r["frames"], r["sync"]
            check(f"clean {codec}: frames", f["missing"] == 0 and f["duplicates"] == 0 and f["undecodable"] == 0
                  and f["first"] == 99 and f["span"] == 240, json.dumps(f))
            check(f"clean {codec}: sync", len(s["marks"]) == 4 and s["flashesWithoutBeep"] == 0
                  and s["beepsWithoutFlash"] == [] and s["maxAbsOffsetMs"] <= 10, json.dumps(s))
            check(f"clean {codec}: timeline", abs(r["timeline"]["maxDeviationMs"]) <= 5, json.dumps(r["timeline"]))
            ts = r["timestamps"]
            check(f"clean {codec}: timestamps", ts["video"]["strictlyIncreasing"] and ts["audio"]["strictlyIncreasing"]
                  and ts["video"]["gapCount"] == 0 and ts["audio"]["gapCount"] == 0, json.dumps(ts)[:400])

        r = encode(src, os.path.join(tmp, "late-audio.mkv"), af="adelay=100")
        offsets = [m["offsetMs"] for m in r["sync"]["marks"]]
        check("audio 100 ms late", len(offsets) == 4 and all(o is not None and 85 <= o <= 110 for o in offsets),
              json.dumps(offsets))

        r = encode(src, os.path.join(tmp, "dropped.mkv"), vf="select='not(between(n\\,100\\,109))'")
        f = r["frames"]
        check("frames 100..109 dropped", f["missing"] == 10 and f["missingRanges"] == [[199, 208]],
              json.dumps(f))
        check("frames 100..109 dropped: a video gap", r["timestamps"]["video"]["gapCount"] == 1
              and 350 <= r["timestamps"]["video"]["largestGapMs"] <= 380, json.dumps(r["timestamps"]["video"]))

        r = encode(src, os.path.join(tmp, "shifted.mkv"), vf="setpts='PTS+gte(N\\,150)*0.5/TB'")
        dev = r["timeline"]["maxDeviationMs"]
        check("+500 ms from frame 150: timeline", dev is not None and 450 <= abs(dev) <= 550, json.dumps(r["timeline"]))
        check("+500 ms from frame 150: a video gap", r["timestamps"]["video"]["gapCount"] == 1, json.dumps(r["timestamps"]["video"]))

        # frame 20 of the filter's input twice (number 118 or 119: -ss decides
        # whether the frame before 99 enters the filter)
        r = encode(src, os.path.join(tmp, "duplicate.mkv"), vf="loop=loop=1:size=1:start=20,setpts=N/30/TB")
        f = r["frames"]
        check("a frame written twice", f["duplicates"] == 1 and f["duplicateNumbers"][0] in (118, 119), json.dumps(f))

        r = encode(src, os.path.join(tmp, "cut-beep.mkv"), video_ss="4.0", audio_ss="4.04", audio_delay="0.04")
        s = r["sync"]
        first = s["marks"][0] if s["marks"] else {}
        check("begins inside a beep", first.get("beepCut") is True and s["flashesWithoutBeep"] == 0
              and s["beepCutAtStart"] and len(s["marks"]) >= 3
              and all(m["offsetMs"] is not None and abs(m["offsetMs"]) <= 10 for m in s["marks"][1:]), json.dumps(s))
    print(f"{'all checks passed' if failures == 0 else f'{failures} check(s) failed'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
