// The device check the candidate and room pages share: the sentence for a
// getUserMedia failure, camera + microphone opened with one fallback, the
// device lists, and the microphone level meter.  No page state: each page
// keeps its own stream and says what to do with a failure.

/** The plain sentence for a getUserMedia error (err.name). */
export function describeMediaError(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera and microphone access was blocked. Please allow access in your browser (usually the camera icon in the address bar), then press Try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found. Please connect one, then press Try again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'Your camera or microphone is being used by another application. Please close it, then press Try again.';
    default:
      return 'Your camera or microphone could not be started. Please check them, then press Try again.';
  }
}

const NO_MEDIA_DEVICES_TEXT = 'This page cannot use your camera here. Please open the link over HTTPS in a current version of Chrome, Edge or Firefox.';

/**
 * The device check's open: resolves with the stream, or null after a
 * failure was reported: page.showError(text) (the sentence),
 * page.recordError(code, text) (the error's name, or no_media_devices where
 * the page cannot ask at all) and, when trying again can help,
 * page.retryButton shown.
 */
export async function openCheckedMedia(video, audio, cameraId, page) {
  let failure;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    failure = { code: 'no_media_devices', text: NO_MEDIA_DEVICES_TEXT, retry: false };
  } else {
    try {
      return await openUserMedia(video, audio, cameraId);
    } catch (err) {
      failure = { code: err && err.name ? err.name : 'getUserMedia', text: describeMediaError(err), retry: true };
    }
  }
  page.showError(failure.text);
  page.recordError(failure.code, failure.text);
  if (failure.retry) page.retryButton.hidden = false;
  return null;
}

/**
 * getUserMedia({video, audio}); when the video constraints cannot be met,
 * once more with only the camera id (or any camera).  Resolves with the
 * stream; rejects with the last error (describeMediaError says it).
 */
export async function openUserMedia(video, audio, cameraId) {
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (err) {
    if (!err || err.name !== 'OverconstrainedError') throw err;
    return navigator.mediaDevices.getUserMedia({ video: cameraId ? { deviceId: cameraId } : true, audio });
  }
}

/**
 * Fills the camera and microphone <select>s from enumerateDevices, the
 * stream's devices selected.  disabled(select) says whether each stays
 * disabled.  Does nothing if the browser cannot list devices.
 */
export async function fillDeviceSelects(stream, cameraSelect, micSelect, disabled) {
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const fill = (select, kind, track, fallback) => {
    const current = track && track.getSettings ? track.getSettings().deviceId : '';
    select.replaceChildren();
    devices.filter((d) => d.kind === kind).forEach((d, i) => {
      const opt = document.createElement('option');
      opt.value = d.deviceId;
      opt.textContent = d.label || `${fallback} ${i + 1}`;
      if (d.deviceId === current) opt.selected = true;
      select.append(opt);
    });
    select.disabled = disabled(select);
  };
  fill(cameraSelect, 'videoinput', stream.getVideoTracks()[0], 'Camera');
  fill(micSelect, 'audioinput', stream.getAudioTracks()[0], 'Microphone');
}

/**
 * The microphone level of one track drawn into a role="meter" element
 * (meter: its aria-valuenow, every 500 ms at most; bar: its width).
 * attach(track) starts or moves it; close() stops it and empties the bar.
 * The AudioContext starts suspended until the person interacts with the
 * page: a pointerdown anywhere resumes it, and resume() does on request.
 */
export class LevelMeter {
  constructor(meter, bar) {
    this.meter = meter;
    this.bar = bar;
    this.context = null;
    this.analyser = null;
    this.source = null;
    this.shown = 0;
    this.lastAria = -1;
    this.lastAriaUpdate = 0;
    this.samples = new Float32Array(1024);
    document.addEventListener('pointerdown', () => this.resume(), { capture: true });
  }

  attach(track) {
    if (!track) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!this.context) {
      this.context = new Ctx();
      this.analyser = this.context.createAnalyser();
      this.analyser.fftSize = 1024;
      requestAnimationFrame((now) => this.draw(now));
    }
    if (this.source) this.source.disconnect();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(this.analyser);
    this.resume();
  }

  resume() {
    if (this.context && this.context.state === 'suspended') this.context.resume().catch(() => {});
  }

  close() {
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
    this.analyser = null;
    this.source = null;
    this.bar.style.width = '0%';
  }

  draw(now) {
    if (!this.analyser) {
      this.shown = 0;
      this.bar.style.width = '0%';
      return;
    }
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (let i = 0; i < this.samples.length; i++) sum += this.samples[i] * this.samples[i];
    const rms = Math.sqrt(sum / this.samples.length);
    // -60 dBFS .. 0 dBFS mapped to 0..100 %
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const percent = Math.max(0, Math.min(100, Math.round(((db + 60) / 60) * 100)));
    // Fall quickly but not instantly, so short sounds stay visible.
    this.shown = Math.max(percent, this.shown - 2);
    this.bar.style.width = `${this.shown}%`;
    if (now - this.lastAriaUpdate > 500 && this.shown !== this.lastAria) {
      this.meter.setAttribute('aria-valuenow', String(this.shown));
      this.lastAria = this.shown;
      this.lastAriaUpdate = now;
    }
    requestAnimationFrame((t) => this.draw(t));
  }
}

/** Calls reopen(cameraId, micId) when the person picks another camera or microphone, unless locked(). */
export function onDeviceSelect(cameraSelect, micSelect, locked, reopen) {
  const change = async () => {
    if (locked()) return;
    await reopen(cameraSelect.value, micSelect.value);
  };
  cameraSelect.addEventListener('change', change);
  micSelect.addEventListener('change', change);
}
