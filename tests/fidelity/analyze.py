#!/usr/bin/env python3
"""analyze.py: measures one recorded take of the fidelity media
(tests/tools/fidelity-media.c) and prints one JSON object.

    analyze.py TAKE.mkv [--fps 30] [--period-frames 600] [--flash-every 60]
                        [--frames-sent N] [--pretty]

What it reads (ffmpeg / ffprobe CLI, no Python packages beyond the standard
library):
  * container timestamps: ffprobe -show_packets, per stream, in file order;
  * video: every decoded frame downscaled to 64x36 gray with its pts
    (showinfo), each frame's number read from its 8x4 cells and checked
    with its CRC-8; all-white frames are the flashes;
  * audio: decoded to 48 kHz mono s16 with each decoded frame's pts
    (ashowinfo), so a sample's time comes from its frame's pts, never from
    counting samples across a gap; beep onsets are the first sample above
    0.05 full scale after >= 0.5 s below it.

What it reports (times in ms, relative to the first video frame's pts):
  frames:   decoded, numbered (CRC ok), undecodable, flash, distinct numbers,
            first/last (numbers unwrapped across the file's loop), span,
            missing (count and up to 20 ranges), duplicates, outOfOrder,
            framesSent (from --frames-sent) and writtenPerSent;
  timeline: file time - sender time (frame number / fps) for every numbered
            frame, relative to the median of that difference: maxDeviationMs,
            finalDeviationMs (0 = the file's timeline matches the sender's; a
            stall the file squeezes or stretches shows as a step);
  sync:     each flash's video time, the nearest beep's onset, offsetMs
            (audio - video: positive = audio late), maxAbsOffsetMs,
            flashesWithoutBeep, beepsWithoutFlash (a beep inside the take whose
            flash frame is not in the file),
            driftMsPerMinute (least-squares slope of the offsets);
  timestamps: per stream packets, strictlyIncreasing, nonIncreasing count,
            duplicatePts, gaps (> 3 frame intervals for video, > 2 packet durations for
            audio) with where and how long.

Exit status: 0 when the file could be analyzed (whatever the figures), 1
when it could not (no video stream, ffmpeg failed), 2 on bad arguments.
"""
import argparse
import json
import re
import subprocess
import sys

COLUMNS, ROWS = 8, 4
SCALE_W, SCALE_H = 64, 36
FLASH_LUMA = 200
AUDIO_RATE = 48000
BEEP_THRESHOLD = int(0.05 * 32768)
BEEP_QUIET_SAMPLES = AUDIO_RATE // 2


def crc8(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def run(cmd, binary=False):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-800:]}")
    return proc


def probe_packets(path):
    """{'video': [(pts, duration)], 'audio': [...]} in file order (pts in s)."""
    out = run(["ffprobe", "-v", "error", "-show_entries", "packet=codec_type,pts_time,duration_time",
               "-of", "json", path]).stdout
    packets = {"video": [], "audio": []}
    for p in json.loads(out).get("packets", []):
        kind = p.get("codec_type")
        if kind in packets and p.get("pts_time") not in (None, "N/A"):
            dur = p.get("duration_time")
            packets[kind].append((float(p["pts_time"]), float(dur) if dur not in (None, "N/A") else None))
    return packets


SHOWINFO = re.compile(r"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.]+)")
NB_SAMPLES = re.compile(r"nb_samples:\s*(\d+)")


def decode_video(path):
    """[(pts, luma bytes of 64x36)] in presentation order."""
    proc = run(["ffmpeg", "-v", "info", "-nostats", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
                "-vf", f"scale={SCALE_W}:{SCALE_H}:flags=area,showinfo", "-pix_fmt", "gray",
                "-f", "rawvideo", "-"])
    times = [float(m.group(3)) for m in SHOWINFO.finditer(proc.stderr.decode(errors="replace"))]
    size = SCALE_W * SCALE_H
    data = proc.stdout
    count = min(len(times), len(data) // size)
    return [(times[i], data[i * size:(i + 1) * size]) for i in range(count)]


def decode_audio(path):
    """[(pts, samples: list of int)] per decoded frame, or [] without audio."""
    try:
        proc = run(["ffmpeg", "-v", "info", "-nostats", "-i", path, "-map", "0:a:0", "-af", "ashowinfo",
                    "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "s16le", "-"])
    except RuntimeError:
        return []
    frames = []
    for line in proc.stderr.decode(errors="replace").splitlines():
        if "Parsed_ashowinfo" not in line:
            continue
        m, n = SHOWINFO.search(line), NB_SAMPLES.search(line)
        if m and n:
            frames.append((float(m.group(3)), int(n.group(1))))
    pcm = memoryview(proc.stdout).cast("h") if len(proc.stdout) % 2 == 0 else memoryview(proc.stdout[:-1]).cast("h")
    out, at = [], 0
    for pts, count in frames:
        # ashowinfo runs before resampling: its sample counts are at the
        # decoder's rate, which is 48 kHz for Opus (the only audio imsd writes)
        out.append((pts, pcm[at:at + count]))
        at += count
    return out


def read_frame(luma):
    """('flash', None) | ('code', number) | ('bad', None)."""
    total = sum(luma)
    if total / len(luma) >= FLASH_LUMA:
        return "flash", None
    cw, ch = SCALE_W // COLUMNS, SCALE_H // ROWS
    bits = []
    for r in range(ROWS):
        for c in range(COLUMNS):
            acc = n = 0
            for y in range(r * ch + ch // 4, r * ch + ch - ch // 4):
                row = y * SCALE_W
                for x in range(c * cw + cw // 4, c * cw + cw - cw // 4):
                    acc += luma[row + x]
                    n += 1
            bits.append(1 if acc / n >= 126 else 0)
    if bits[24:32] != [1, 0, 1, 0, 1, 0, 1, 0]:
        return "bad", None
    number = int("".join(map(str, bits[0:16])), 2)
    crc = int("".join(map(str, bits[16:24])), 2)
    if crc8(bytes([number >> 8, number & 0xFF])) != crc:
        return "bad", None
    return "code", number


def ranges(sorted_numbers):
    out = []
    for n in sorted_numbers:
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def timestamps_report(packets, nominal):
    pts = [p for p, _ in packets]
    non_increasing = sum(1 for a, b in zip(pts, pts[1:]) if b <= a)
    gaps = []
    ordered = sorted(packets, key=lambda p: p[0])
    duplicates = sum(1 for (a, _), (b, _) in zip(ordered, ordered[1:]) if a == b)
    for (a, da), (b, _) in zip(ordered, ordered[1:]):
        limit = nominal(da)
        if b - a > limit:
            gaps.append({"atMs": round(a * 1000, 1), "ms": round((b - a) * 1000, 1)})
    return {"packets": len(pts), "strictlyIncreasing": non_increasing == 0, "nonIncreasing": non_increasing,
            "duplicatePts": duplicates,
            "firstMs": round(pts[0] * 1000, 1) if pts else None, "lastMs": round(pts[-1] * 1000, 1) if pts else None,
            "gaps": gaps[:50], "gapCount": len(gaps), "largestGapMs": max((g["ms"] for g in gaps), default=0)}


def beep_onsets(audio):
    """(onsets, cut): the first loud sample of each beep, and the time of a beep
    that was already sounding when the file's audio begins (its onset is not in
    the file, so it cannot be measured), or None."""
    onsets, last_loud, cut = [], None, None
    first = audio[0][0] if audio else None
    for pts, samples in audio:
        for i, s in enumerate(samples):
            t = pts + i / AUDIO_RATE
            if s > BEEP_THRESHOLD or s < -BEEP_THRESHOLD:
                if last_loud is None and t - first < BEEP_QUIET_SAMPLES / AUDIO_RATE:
                    cut = t
                elif last_loud is None or t - last_loud >= BEEP_QUIET_SAMPLES / AUDIO_RATE:
                    onsets.append(t)
                last_loud = t
    return onsets, cut


def analyze(path, fps, period, flash_every, frames_sent):
    packets = probe_packets(path)
    video = decode_video(path)
    if not video:
        raise RuntimeError("no decodable video")
    audio = decode_audio(path)
    t0 = video[0][0]

    # number the frames; unwrap across the loop of the source file
    numbered, flashes, bad = [], [], 0
    base, previous = 0, None
    kinds = []
    for pts, luma in video:
        kind, number = read_frame(luma)
        kinds.append((pts, kind, number))
    for idx, (pts, kind, number) in enumerate(kinds):
        if kind == "bad":
            bad += 1
            continue
        if kind == "flash":
            # a flash is frame k * flash_every: the multiple closest to the
            # previous numbered frame + 1 (or the next numbered frame - 1)
            guess = None
            if previous is not None:
                guess = previous + 1
            else:
                nxt = next((n for _, k, n in kinds[idx + 1:] if k == "code"), None)
                if nxt is not None:
                    guess = nxt - 1 + (period if nxt == 0 else 0)
            if guess is None:
                flashes.append({"pts": pts, "number": None})
                continue
            unwrapped = round(guess / flash_every) * flash_every
            flashes.append({"pts": pts, "number": unwrapped})
            numbered.append((pts, unwrapped))
            previous = unwrapped if previous is None else max(previous, unwrapped)
            continue
        unwrapped = base + number
        if previous is not None and unwrapped < previous - period // 2:
            base += period
            unwrapped += period
        numbered.append((pts, unwrapped))
        previous = max(previous, unwrapped) if previous is not None else unwrapped

    numbers = [n for _, n in numbered]
    distinct = sorted(set(numbers))
    seen, duplicates, out_of_order, highest = set(), 0, 0, None
    duplicate_numbers, out_of_order_numbers = [], []
    flash_numbers = {f["number"] for f in flashes}
    previous_number = None
    flash_repeats = 0
    for n in numbers:
        if n in seen and n in flash_numbers and n == previous_number:
            flash_repeats += 1  # a run of white frames: reported per sync mark
        elif n in seen:
            duplicates += 1
            duplicate_numbers.append(n)
        elif highest is not None and n < highest:
            out_of_order += 1
            out_of_order_numbers.append(n)
        previous_number = n
        seen.add(n)
        highest = n if highest is None else max(highest, n)
    first, last = (distinct[0], distinct[-1]) if distinct else (None, None)
    missing = sorted(set(range(first, last + 1)) - seen) if distinct else []
    span = (last - first + 1) if distinct else 0

    # file time - sender time per numbered frame, relative to the median: a
    # stall the file does not keep as the sender's timeline shows as a step
    deviations = []
    if numbered:
        p0, n0 = numbered[0]
        raw = [((pts - p0) - (n - n0) / fps) * 1000 for pts, n in numbered]
        median = sorted(raw)[len(raw) // 2]
        deviations = [d - median for d in raw]

    onsets, cut_beep = beep_onsets(audio)
    sync = []
    for f in flashes:
        # a run of white frames is one flash (a duplicate): keep its first frame
        if sync and f["number"] is not None and sync[-1]["frame"] == f["number"]:
            sync[-1]["whiteFrames"] += 1
            continue
        near = min(onsets, key=lambda t: abs(t - f["pts"]), default=None)
        entry = {"frame": f["number"], "videoMs": round((f["pts"] - t0) * 1000, 1), "whiteFrames": 1}
        if cut_beep is not None and abs(cut_beep - f["pts"]) < 1.0 and (
                near is None or abs(cut_beep - f["pts"]) < abs(near - f["pts"])):
            # the file's audio begins inside this flash's beep: no onset to measure
            entry.update(audioMs=None, offsetMs=None, beepCut=True)
        elif near is not None and abs(near - f["pts"]) < 1.0:
            entry["audioMs"] = round((near - t0) * 1000, 1)
            entry["offsetMs"] = round((near - f["pts"]) * 1000, 1)
        else:
            entry["audioMs"] = None
            entry["offsetMs"] = None
        sync.append(entry)
    matched = {e["audioMs"] for e in sync if e["audioMs"] is not None}
    t_last = video[-1][0]
    lonely = [round((t - t0) * 1000, 1) for t in onsets
              if t0 + 0.1 < t < t_last - 0.1 and round((t - t0) * 1000, 1) not in matched]
    offsets = [(e["videoMs"], e["offsetMs"]) for e in sync if e["offsetMs"] is not None]
    drift = None
    if len(offsets) >= 2:
        mx = sum(x for x, _ in offsets) / len(offsets)
        my = sum(y for _, y in offsets) / len(offsets)
        sxx = sum((x - mx) ** 2 for x, _ in offsets)
        if sxx > 0:
            drift = round(sum((x - mx) * (y - my) for x, y in offsets) / sxx * 60000, 1)

    video_ts = timestamps_report(packets["video"], lambda d: 3.0 / fps)
    audio_ts = timestamps_report(packets["audio"], lambda d: 2 * (d or 0.02) + 0.001)
    return {
        "file": path,
        "durationMs": round((video[-1][0] - t0) * 1000, 1),
        "frames": {
            "decoded": len(video), "numbered": len(numbered), "undecodable": bad, "flash": len(flashes),
            "distinct": len(distinct), "first": first, "last": last, "span": span,
            "missing": len(missing), "missingRanges": ranges(missing)[:20], "missingNumbers": missing[:5000],
            "duplicates": duplicates, "duplicateNumbers": duplicate_numbers[:20], "flashRepeats": flash_repeats,
            "outOfOrder": out_of_order, "outOfOrderNumbers": out_of_order_numbers[:20],
            "writtenPerSpan": round(len(distinct) / span, 4) if span else None,
            "framesSent": frames_sent,
            "writtenPerSent": round(len(distinct) / frames_sent, 4) if frames_sent else None,
        },
        "timeline": {
            "maxDeviationMs": round(max(deviations, key=abs), 1) if deviations else None,
            "finalDeviationMs": round(deviations[-1], 1) if deviations else None,
        },
        "sync": {
            "marks": sync, "beeps": len(onsets),
            "maxAbsOffsetMs": max((abs(y) for _, y in offsets), default=None),
            "flashesWithoutBeep": sum(1 for e in sync if e["offsetMs"] is None and not e.get("beepCut")),
            "beepCutAtStart": any(e.get("beepCut") for e in sync),
            "beepsWithoutFlash": lonely,
            "driftMsPerMinute": drift,
        },
        "timestamps": {"video": video_ts, "audio": audio_ts},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("take")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--period-frames", type=int, default=600, help="frames in the source file (its loop)")
    ap.add_argument("--flash-every", type=int, default=60, help="frames between flashes")
    ap.add_argument("--frames-sent", type=int, default=None, help="the sender's count of frames sent during the take")
    ap.add_argument("--pretty", action="store_true")
    args = ap.parse_args()
    try:
        report = analyze(args.take, args.fps, args.period_frames, args.flash_every, args.frames_sent)
    except (RuntimeError, OSError, ValueError) as err:
        print(json.dumps({"file": args.take, "error": str(err)}))
        return 1
    print(json.dumps(report, indent=1 if args.pretty else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
