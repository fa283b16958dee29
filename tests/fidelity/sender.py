#!/usr/bin/python3
"""sender.py: a second, independent sender for the fidelity suite: aiortc
(Debian's python3-aiortc) sends the fidelity media through imsd's signaling
(docs/signaling.md) and records one take.

    /usr/bin/python3 tests/fidelity/sender.py --url ws://HOST:PORT/ws --session ID --token JWT \
        --media MEDIA.nut [--seconds 10]

MEDIA.nut holds the y4m's video and the WAV's audio in one container
(ffmpeg -i media.y4m -i media.wav -c copy media.nut), so one aiortc
MediaPlayer paces both from one clock: unlike Chromium's fake devices, this
sender's own A/V offset is 0 by construction.  It joins, offers, waits for
media in `thinking`, sends take.start, counts the video frames handed to the
encoder while `recording`, sends take.stop after --seconds and waits for the
take to be completed in `review`.  Prints one JSON line
{"ok": bool, "framesSent": N, "error"?: text}; exit status 0 iff ok.
"""
import argparse
import asyncio
import json
import sys

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp


class CountingTrack(MediaStreamTrack):
    """Passes the player's video frames on, counting them while counting is on."""

    kind = "video"

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.counting = False
        self.count = 0

    async def recv(self):
        frame = await self.source.recv()
        if self.counting:
            self.count += 1
        return frame


async def run(args):
    player = MediaPlayer(args.media, loop=True)
    video = CountingTrack(player.video)
    pc = RTCPeerConnection()
    pc.addTrack(player.audio)
    pc.addTrack(video)
    async with websockets.connect(args.url, subprotocols=["imsd.signaling.v1"], max_size=None) as ws:
        async def send(msg):
            await ws.send(json.dumps(msg))

        await send({"type": "join", "sessionId": args.session, "token": args.token})
        phase, offered, started, stop_at = None, False, False, None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + args.seconds + 60
        while loop.time() < deadline:
            timeout = 0.2 if stop_at else 1.0
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
            except asyncio.TimeoutError:
                msg = None
            if stop_at and loop.time() >= stop_at:
                video.counting = False
                stop_at = None
                await send({"type": "take.stop"})
            if msg is None:
                continue
            kind = msg.get("type")
            if kind == "error":
                return {"ok": False, "error": f"{msg.get('code')}: {msg.get('message')}", "framesSent": video.count}
            if kind == "answer":
                await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))
            elif kind == "ice" and msg.get("candidate"):
                candidate = candidate_from_sdp(msg["candidate"].split(":", 1)[1])
                candidate.sdpMLineIndex = msg.get("sdpMLineIndex", 0)
                await pc.addIceCandidate(candidate)
            elif kind == "state":
                phase = msg.get("phase")
                if not offered:
                    offered = True
                    await pc.setLocalDescription(await pc.createOffer())
                    await send({"type": "offer", "sdp": pc.localDescription.sdp})
                    await send({"type": "ice", "candidate": "", "sdpMLineIndex": 0})
                if phase == "thinking" and msg.get("mediaReady") and not started:
                    started = True
                    await send({"type": "take.start"})
                elif phase == "recording" and started and stop_at is None and not video.counting and video.count == 0:
                    video.counting = True
                    stop_at = loop.time() + args.seconds
                elif phase == "review" and any(t.get("status") == "completed" for t in msg.get("takes", [])):
                    await pc.close()
                    return {"ok": True, "framesSent": video.count}
        await pc.close()
        return {"ok": False, "error": f"timed out in phase {phase}", "framesSent": video.count}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--session", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--media", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    try:
        result = asyncio.run(run(args))
    except Exception as err:  # one JSON line whatever happened
        result = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(result), flush=True)
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
