#!/usr/bin/python3
"""aiortc-ingest.py: a real aiortc sender against the ingest pipeline (manual check, not run by CI).

    /usr/bin/python3 tests/tools/aiortc-ingest.py BUILD_DIR/tests/tools/ingest-harness OUT_DIR

aiortc (Debian's python3-aiortc) offers its standard BUNDLE offer (one ICE transport per m-line, so a
different ice-ufrag/ice-pwd per m-line), a synthetic video track (aiortc's VideoStreamTrack, encoded
by aiortc) and a synthetic audio track, to tests/tools/ingest-harness, which answers, records one
take of 3 s into OUT_DIR and exits.  Prints every line of the harness's output and exits with its
status: 0 once the take was recorded.
"""
import asyncio
import json
import sys

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp


async def main(harness, out_dir):
    proc = await asyncio.create_subprocess_exec(
        harness, '--dir', out_dir, '--takes', '1', '--seconds', '3',
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    pc = RTCPeerConnection()
    pc.addTrack(VideoStreamTrack())
    pc.addTrack(AudioStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    proc.stdin.write((json.dumps({'type': 'offer', 'sdp': pc.localDescription.sdp}) + '\n').encode())
    await proc.stdin.drain()
    status = 1
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        if not line:
            break
        message = json.loads(line)
        print(json.dumps(message)[:300], flush=True)
        if message['type'] == 'answer':
            await pc.setRemoteDescription(RTCSessionDescription(sdp=message['sdp'], type='answer'))
        elif message['type'] == 'ice' and message.get('candidate'):
            candidate = candidate_from_sdp(message['candidate'].split(':', 1)[1])
            candidate.sdpMLineIndex = message.get('mline', 0)
            await pc.addIceCandidate(candidate)
        elif message['type'] == 'done':
            status = 0
        elif message['type'] == 'error':
            break
    await pc.close()
    code = await proc.wait()
    return status if code == 0 else code


if __name__ == '__main__':
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
