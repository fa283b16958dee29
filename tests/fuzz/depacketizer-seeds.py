#!/usr/bin/env python3
"""Builds the fuzz-depacketizer seeds (tests/fuzz/corpus/depacketizer/) from RTP packets in files.

Usage: depacketizer-seeds.py OUT_FILE CODEC WRITER DROP STREAM_FILE
  CODEC 0 H.264, 1 VP8, 2 Opus; WRITER 1 to also write the frames into a take; DROP the index of one
  packet to leave out (its successor gets the loss flag), -1 for none.
STREAM_FILE holds RTP packets framed as RFC 4571 (2-byte length before each), as GStreamer's rtpstreampay
writes them, for example:
  gst-launch-1.0 videotestsrc num-buffers=3 ! video/x-raw,width=160,height=120 ! x264enc tune=zerolatency \
    key-int-max=2 ! video/x-h264,profile=constrained-baseline ! rtph264pay mtu=300 config-interval=-1 \
    aggregate-mode=zero-latency ! rtpstreampay ! filesink location=h264.stream
(likewise vp8enc ! rtpvp8pay mtu=300, opusenc ! rtpopuspay)."""
import struct
import sys


def parse_rtp(packet):
    b0, b1, _seq, ts = struct.unpack('!BBHI', packet[:8])
    offset = 12 + 4 * (b0 & 0x0f)
    if b0 & 0x10:
        _profile, words = struct.unpack('!HH', packet[offset:offset + 4])
        offset += 4 + 4 * words
    end = len(packet) - (packet[-1] if b0 & 0x20 else 0)
    return packet[offset:end], bool(b1 & 0x80), ts


def main():
    out, codec, writer, drop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    stream = open(sys.argv[5], 'rb').read()
    packets = []
    offset = 0
    while offset + 2 <= len(stream):
        (length,) = struct.unpack('!H', stream[offset:offset + 2])
        packets.append(parse_rtp(stream[offset + 2:offset + 2 + length]))
        offset += 2 + length
    data = bytearray([codec, writer])
    loss = False
    for i, (payload, marker, ts) in enumerate(packets):
        if i == drop:
            loss = True
            continue
        next_ts = packets[i + 1][2] if i + 1 < len(packets) else ts + 1
        flags = (1 if marker else 0) | (2 if loss else 0) | (4 if next_ts != ts else 0)
        data += struct.pack('!HB', len(payload), flags) + payload
        loss = False
    open(out, 'wb').write(data)


main()
