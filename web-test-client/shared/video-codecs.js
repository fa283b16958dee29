// The video sender of the candidate and room pages: which codecs it offers, in
// which order, and the encoder settings (bitrate cap, keep the resolution).  No state.

/** Codec order: H.264 packetization-mode=1 (constrained baseline first), then VP8, then RTX. */
export function orderVideoCodecs(codecs, forcedCodec) {
  const isH264 = (c) => /h264/i.test(c.mimeType) && /packetization-mode=1/.test(c.sdpFmtpLine || '');
  const isVp8 = (c) => /vp8/i.test(c.mimeType);
  const isRtx = (c) => /rtx/i.test(c.mimeType);
  const baseline = (c) => (/profile-level-id=42e0/i.test(c.sdpFmtpLine || '') ? 0 : 1);
  const h264 = codecs.filter(isH264).sort((a, b) => baseline(a) - baseline(b));
  const vp8 = codecs.filter(isVp8);
  let ordered;
  if (forcedCodec === 'vp8') ordered = vp8;
  else if (forcedCodec === 'h264') ordered = h264;
  else ordered = [...h264, ...vp8];
  if (!ordered.length) return null;
  return [...ordered, ...codecs.filter(isRtx)];
}

export function preferVideoCodecs(transceiver, forcedCodec, recordLocalError) {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const caps = (window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('video'))
    || (window.RTCRtpSender && RTCRtpSender.getCapabilities && RTCRtpSender.getCapabilities('video'));
  if (!caps) return;
  const ordered = orderVideoCodecs(caps.codecs, forcedCodec);
  if (!ordered) {
    recordLocalError('codec', `no ${forcedCodec || 'H.264/VP8'} video codec in this browser`);
    return;
  }
  try {
    transceiver.setCodecPreferences(ordered);
  } catch (err) {
    recordLocalError('setCodecPreferences', String(err));
  }
}

export async function tuneVideoSender(sender, maxBitrate, recordLocalError) {
  try {
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    params.encodings[0].maxBitrate = maxBitrate;
    params.degradationPreference = 'maintain-resolution';
    await sender.setParameters(params);
  } catch {
    try { // Some browsers refuse degradationPreference; keep the bitrate cap at least.
      const params = sender.getParameters();
      if (params.encodings && params.encodings.length) {
        params.encodings[0].maxBitrate = maxBitrate;
        await sender.setParameters(params);
      }
    } catch (err) {
      recordLocalError('setParameters', String(err));
    }
  }
}
