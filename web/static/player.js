// SPDX-License-Identifier: LGPL-2.1-or-later
// hostenc player: WebSocket (docs/web.md) → WebCodecs VideoDecoder → 2D canvas.
//
// Pipeline: one binary message per H.264 access unit (Annex B) → one
// EncodedVideoChunk → decode (1 in, 1 out with optimizeForLatency) → keep only
// the newest VideoFrame → draw it once per requestAnimationFrame, closing every
// frame that is not drawn. Input on the focused canvas goes back as JSON.
//
// Page URL parameters: source (default 0), token (passed through), bench=1
// (read the test pattern's code strip on every painted frame, glass-to-glass
// samples in window.hostenc.bench), stats=1 (show the overlay at start).

const HEADER_BYTES = 24;
const KIND_VIDEO = 1;
const FLAG_KEY = 1;
const FLAG_REPLAYED = 2;

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10000;
const WATCHDOG_MS = 3000;
const STALE_MS = 10000;       // no message at all for this long: the socket is dead
const PING_INTERVAL_MS = 2000;
const MAX_DECODE_LAG_MS = 1000; // oldest chunk still in the decoder: resync at the next IDR
const BENCH_MAX_SAMPLES = 100000;

// Codec strings offered to the server, most basic first. Only those the
// browser's isConfigSupported accepts are sent.
const CANDIDATE_CODECS = [
	'avc1.42e01f', 'avc1.42c01f', 'avc1.42e028', 'avc1.42c028', 'avc1.42e033', 'avc1.42c033',
	'avc1.4d401f', 'avc1.4d4028', 'avc1.4d4033',
	'avc1.64001f', 'avc1.640028', 'avc1.640033',
];
const ACCELERATIONS = ['prefer-hardware', 'no-preference', 'prefer-software'];

const params = new URLSearchParams(location.search);
let sourceId = params.get('source') || '0';
const token = params.get('token');
const benchMode = params.get('bench') === '1';

const $ = (id) => document.getElementById(id);
const canvas = $('screen');
const stage = $('stage');
const statusEl = $('status');
const messageEl = $('message');
const statsEl = $('stats');
const statsButton = $('stats-button');

// ---------------------------------------------------------------------------
// The test pattern's code strip (daemon/sources/pattern/pattern.h, "Code strip").
// ---------------------------------------------------------------------------

/** Grid geometry of the test pattern for a W x H picture. */
export function patternLayout(w, h) {
	const u = Math.max(1, Math.min(Math.floor(w / 64), Math.floor(h / 36)));
	const ox = Math.floor((w - 64 * u) / 2);
	const oy = Math.floor((h - 36 * u) / 2);
	return {
		u, ox, oy,
		// The code strip: grid (2, 30, 36, 5).
		strip: { x: ox + 2 * u, y: oy + 30 * u, w: 36 * u, h: 5 * u },
	};
}

function crc8(bytes) {
	let crc = 0;
	for (const b of bytes) {
		crc ^= b;
		for (let i = 0; i < 8; i++)
			crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
	}
	return crc;
}

/**
 * Read the code strip from RGBA pixels that cover the strip area exactly
 * (as returned by getImageData(strip.x, strip.y, strip.w, strip.h)).
 * @returns {{frame, timeMs, pointerX, pointerY, keyCode, keyCount, clickCount}|
 *           {error: string}}
 */
export function readStripPixels(rgba, u) {
	const stripW = 36 * u;
	const side = Math.max(1, Math.floor(u / 2));
	const inset = Math.floor(u / 4);
	const dark = (row, col) => {
		let sum = 0;
		const x0 = col * u + inset, y0 = row * u + inset;
		for (let j = 0; j < side; j++) {
			let p = ((y0 + j) * stripW + x0) * 4;
			for (let i = 0; i < side; i++, p += 4)
				sum += (77 * rgba[p] + 150 * rgba[p + 1] + 29 * rgba[p + 2]) >> 8;
		}
		return sum < 128 * side * side;
	};
	for (let c = 0; c < 36; c++)
		if (dark(0, c) !== (c % 2 === 0))
			return { error: 'guard' };
	const words = [];
	for (let r = 1; r <= 4; r++) {
		if (!dark(r, 0) || dark(r, 1) || dark(r, 34) || !dark(r, 35))
			return { error: 'guard' };
		let word = 0;
		for (let c = 2; c <= 33; c++)
			word = ((word << 1) | (dark(r, c) ? 1 : 0)) >>> 0;
		words.push(word);
	}
	const bytes = [];
	for (const w of words)
		bytes.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
	if (crc8(bytes.slice(0, 15)) !== bytes[15])
		return { error: 'crc' };
	return {
		frame: words[0],
		timeMs: words[1],
		pointerX: words[2] >>> 16,
		pointerY: words[2] & 0xffff,
		keyCode: words[3] >>> 24,
		keyCount: (words[3] >>> 16) & 0xff,
		clickCount: (words[3] >>> 8) & 0xff,
	};
}

/** Read the code strip from a 2D context holding a w x h pattern picture. */
export function readStrip(ctx2d, w, h) {
	const { u, strip } = patternLayout(w, h);
	if (strip.x + strip.w > w || strip.y + strip.h > h)
		return { error: 'size' };
	const img = ctx2d.getImageData(strip.x, strip.y, strip.w, strip.h);
	return readStripPixels(img.data, u);
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** Wall clock in ms with sub-ms resolution (same clock as Date.now()). */
const wallMs = () => performance.timeOrigin + performance.now();

/** Ring of recent samples with percentiles. */
class Samples {
	constructor(n) { this.n = n; this.a = []; }
	push(v) { this.a.push(v); if (this.a.length > this.n) this.a.shift(); }
	get length() { return this.a.length; }
	pct(p) {
		if (!this.a.length) return NaN;
		const s = [...this.a].sort((x, y) => x - y);
		return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p + 0.5))];
	}
	clear() { this.a = []; }
}

function stored(key) {
	try { return sessionStorage.getItem(key); } catch { return null; /* storage disabled */ }
}

function store(key, value) {
	try { sessionStorage.setItem(key, value); } catch { /* keep it for this load */ }
}

function makeClientId() {
	let id = stored('hostenc.client');
	if (!id) {
		id = (crypto.randomUUID ? crypto.randomUUID()
			: Array.from(crypto.getRandomValues(new Uint8Array(16)),
				(b) => b.toString(16).padStart(2, '0')).join(''));
		store('hostenc.client', id);
	}
	return id;
}

function fmt(v, digits = 1) {
	return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

// ---------------------------------------------------------------------------
// State and the test hook
// ---------------------------------------------------------------------------

// The client id names this tab's viewer; the secret the server gave it
// proves that a new connection is this tab's own, so that it replaces the
// old one (4000 for the old). Both come back in the server's init (the
// server may give another id), and are kept for this tab's reconnects.
let clientId = makeClientId();
let clientSecret = stored('hostenc.secret');

const hook = {
	state: 'starting',   // starting|connecting|waiting|streaming|stalled|backoff|hidden|superseded|unauthorized|unsupported|error
	client: clientId,
	viewer: null,        // this connection's number in /stats (from the server's init)
	source: sourceId,
	painted: 0,          // frames drawn on the canvas (all connections)
	paintedThisConnection: 0,
	decoded: 0,          // VideoFrames out of the decoder
	received: 0,         // video messages received (all connections)
	keyframes: 0,
	lastSeq: null,       // sequence number of the newest video message
	lastKeySeq: null,    // ... and of the newest keyframe
	replayed: 0,         // received with flag bit 1 (GOP replay)
	still: false,        // the server said the picture is still: no frames until it changes
	firstFlags: [],      // flags of the first 16 video messages of the current connection
	firstSeq: null,      // sequence number of the first video message of this connection
	firstLiveSeq: null,  // ... and of its first live (not replayed) one
	replayedThisConnection: 0,
	lastPaintedCaptureUs: null, // capture time (source clock, µs) of the frame on the canvas
	lastPaintedSeq: null,
	lastPaintedReplayed: false,
	firstPaintedReplayed: null, // whether the first frame painted on this connection was a replay
	lastCode: null,      // code strip of the last painted frame (bench mode, or readStrip())
	connects: 0,
	reconnects: 0,
	lastClose: null,     // {code, reason, wasClean}
	server: null,        // the server's init message
	decoderErrors: 0,
	acceleration: null,
	get render() { return renderMode; }, // 'copy' or 'draw', see "Rendering" below
	message: '',
	get stats() { return computeStats(); },
	events: [],          // the last 64 notable events [ms since load, text], for debugging
	// Bench mode: per painted live frame, glass-to-glass ms (paint wall clock −
	// capture ms read from the code strip in the painted pixels), the frame
	// number read from the strip, and where the time went: [received,
	// decoded, converted (ready to paint), rAF callback started, drawn] ms
	// after capture (from the header's capture µs).
	bench: benchMode ? {
		samples: [], frames: [], stages: [], errors: 0,
		reset() { this.samples.length = 0; this.frames.length = 0; this.stages.length = 0; this.errors = 0; },
	} : null,
	/** Read the code strip from the canvas now (also updates lastCode). */
	readStrip() {
		const code = readStrip(ctx, canvas.width, canvas.height);
		if (!code.error) hook.lastCode = code;
		return code;
	},
	patternLayout,
	readStripPixels,
};
window.hostenc = hook;

let ctx = null;
let ws = null;
let decoder = null;
let codec = null;
let accelIndex = 0;
let accelWorked = false;
let errorsWithoutOutput = 0;
let waitingForKey = true;
let rafId = 0;
let videoW = 0, videoH = 0;
let attempt = 0;           // reconnect attempts since the last successful paint
let reconnectTimer = 0;
let reconnectWanted = false;
let pingTimer = 0;
let lastMessageAt = 0;
let lastPaintAt = 0;
let connectedAt = 0;
let terminal = false;      // 4000 / 4001 / unsupported: never reconnect
let machineStopped = false; // 4004: the stream's machine stopped
const MACHINE_RETRY_MS = 2000;
let statsVisible = params.get('stats') === '1';

// Per-chunk bookkeeping, keyed by timestamp (capture µs): decode() time and flags.
const inflight = new Map();

// Clock: offset (µs) to add to this machine's wall clock to get the source's.
let clockOffsetUs = 0;
let bestRttMs = Infinity;
const pongs = [];          // recent {rtt, offset}

// Statistics
const st = {
	bytes: 0,
	bytesWindow: [],       // [t, bytes]
	paintTimes: [],        // paint instants in the last second
	decodeMs: new Samples(120),
	drawMs: new Samples(120),
	e2eMs: new Samples(120),
	rttMs: NaN,
	dropped: 0,            // decoded but replaced by a newer frame before the next rAF
	skipped: 0,            // chunks not decoded while waiting for a keyframe
};

function logEvent(text) {
	hook.events.push([Math.round(performance.now()), text]);
	if (hook.events.length > 64) hook.events.shift();
}

// ---------------------------------------------------------------------------
// UI
// ---------------------------------------------------------------------------

function setState(state, text) {
	if (state !== hook.state) logEvent(`state ${state}: ${text}`);
	hook.state = state;
	statusEl.dataset.state = state;
	statusEl.textContent = text;
}

/** Show a plain sentence over the dimmed picture; detail is a smaller
 * second line (the technical reason, e.g. the close code). */
function showMessage(text, fatal = false, detail = '') {
	hook.message = text;
	hook.messageDetail = detail;
	$('message-text').textContent = text;
	$('message-detail').textContent = detail;
	messageEl.classList.toggle('fatal', fatal);
	messageEl.hidden = false;
	stage.classList.add('dim');
}

function hideMessage() {
	if (messageEl.classList.contains('fatal')) return;
	stopCountdown();
	hook.message = '';
	hook.messageDetail = '';
	messageEl.hidden = true;
	stage.classList.remove('dim');
}

// What a close means, in a sentence (docs/web.md, "Close codes"); the page
// never shows a bare close code. Codes that reconnect after a backoff end in
// "reconnecting" and get a countdown.
const CLOSE_SENTENCES = {
	4000: 'Another window took over this view',
	4001: 'Access denied: this page needs the right token',
	4002: 'This screen is not available (unknown source): retrying',
	4003: 'Too slow a connection: reconnecting',
	4004: 'The machine stopped',
	4005: 'Too many viewers are watching this server: retrying', // a refused upgrade (503)
	4100: 'No data from the server for a while: reconnecting', // the page's own watchdog
	1000: 'The server closed the connection: reconnecting',
	1001: 'The server is restarting: reconnecting',
	1006: 'The server is restarting or unreachable: reconnecting',
	1008: 'The server closed the connection (no greeting in time): reconnecting',
	1009: 'The server refused a message that was too big: reconnecting',
	1011: 'The server hit an internal error: reconnecting',
	1012: 'The server is restarting: reconnecting',
	1013: 'The server is busy: reconnecting',
};

/** The sentence for close code code (a generic one for unknown codes). */
export function closeSentence(code) {
	return CLOSE_SENTENCES[code] || 'The connection closed: reconnecting';
}
hook.closeSentence = closeSentence;

let countdownTimer = 0;
function stopCountdown() {
	if (countdownTimer) clearInterval(countdownTimer);
	countdownTimer = 0;
}

/** "<sentence> in N s", counting down to the reconnect at wall time at. */
function showCountdown(sentence, at, detail) {
	stopCountdown();
	const tick = () => {
		const left = Math.max(0, Math.ceil((at - performance.now()) / 1000));
		showMessage(left > 0 ? `${sentence} in ${left} s` : `${sentence}…`, false, detail);
		if (left <= 0) stopCountdown();
	};
	tick();
	countdownTimer = setInterval(tick, 250);
}

function setStatsVisible(v) {
	statsVisible = v;
	statsEl.hidden = !v;
	statsButton.setAttribute('aria-pressed', String(v));
	if (v) updateStats();
}

/** The numbers of the stats overlay, computed now (also window.hostenc.stats). */
function computeStats() {
	const now = performance.now();
	while (st.paintTimes.length && st.paintTimes[0] < now - 1000) st.paintTimes.shift();
	while (st.bytesWindow.length && st.bytesWindow[0][0] < now - 1000) st.bytesWindow.shift();
	const bits = st.bytesWindow.reduce((s, [, b]) => s + b, 0) * 8;
	const srv = hook.server || {};
	const s = {
		fps: st.paintTimes.length,
		bitrateKbps: bits / 1000,
		decodeMsP50: st.decodeMs.pct(0.5),
		decodeMsP95: st.decodeMs.pct(0.95),
		drawMsP50: st.drawMs.pct(0.5),
		drawMsP95: st.drawMs.pct(0.95),
		latencyMsP50: st.e2eMs.pct(0.5),
		latencyMsP95: st.e2eMs.pct(0.95),
		rttMs: st.rttMs,
		clockOffsetMs: clockOffsetUs / 1000,
		encoder: srv.encoder || null,
		hardwareEncoder: !!srv.hardware,
		codec,
		width: videoW,
		height: videoH,
		acceleration: hook.acceleration,
		render: renderMode,
		painted: hook.painted,
		decoded: hook.decoded,
		received: hook.received,
		dropped: st.dropped,
		skipped: st.skipped,
		decoderErrors: hook.decoderErrors,
		reconnects: hook.reconnects,
		bytes: st.bytes,
	};
	return s;
}

function updateStats() {
	if (!statsVisible) return;
	const s = computeStats();
	statsEl.textContent = [
		`fps (painted)   ${s.fps}`,
		`bitrate         ${fmt(s.bitrateKbps / 1000, 2)} Mb/s`,
		`decode          ${fmt(s.decodeMsP50)} ms p50, ${fmt(s.decodeMsP95)} ms p95`,
		`draw            ${fmt(s.drawMsP50)} ms p50, ${fmt(s.drawMsP95)} ms p95`,
		`latency (e2e)   ${fmt(s.latencyMsP50)} ms p50, ${fmt(s.latencyMsP95)} ms p95`,
		`rtt / offset    ${fmt(s.rttMs)} ms / ${fmt(s.clockOffsetMs)} ms`,
		`encoder         ${s.encoder || '–'}${s.encoder ? (s.hardwareEncoder ? ' (hw)' : ' (sw)') : ''}`,
		`codec           ${s.codec || '–'}  decoder ${s.acceleration || '–'}`,
		`render          ${s.render === 'copy' ? 'copyTo + putImageData' : 'drawImage'}${renderDecided ? '' : ' (trying)'}`,
		`resolution      ${s.width}x${s.height}`,
		`frames          ${s.received} recv, ${s.decoded} dec, ${s.painted} painted`,
		`dropped/skipped ${s.dropped} / ${s.skipped}`,
		`reconnects      ${s.reconnects}`,
		`client          ${clientId.slice(0, 8)}  source ${sourceId}`,
	].join('\n');
}

// ---------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------

async function probeCodecs() {
	const results = await Promise.all(CANDIDATE_CODECS.map((c) =>
		VideoDecoder.isConfigSupported({ codec: c, optimizeForLatency: true })
			.then((r) => r.supported, () => false))); // a string this browser rejects
	return CANDIDATE_CODECS.filter((c, i) => results[i]);
}

async function decoderConfig(forCodec) {
	for (let i = accelIndex; i < ACCELERATIONS.length; i++) {
		const config = {
			codec: forCodec,
			optimizeForLatency: true,
			hardwareAcceleration: ACCELERATIONS[i],
		};
		if (videoW && videoH) {
			config.codedWidth = videoW + (videoW & 1);
			config.codedHeight = videoH + (videoH & 1);
		}
		try {
			const r = await VideoDecoder.isConfigSupported(config);
			if (r.supported) {
				accelIndex = i;
				return config;
			}
		} catch { /* try the next one */ }
	}
	return null;
}

let decoderGen = 0;        // bumps on every (re)creation; stale async work checks it
let configuring = false;   // a decoder is being created: queue incoming video
const queued = [];         // parsed video messages waiting for the decoder

function closeDecoder() {
	decoderGen++;
	configuring = false;
	queued.length = 0;
	if (decoder) {
		const d = decoder;
		decoder = null;
		try { if (d.state !== 'closed') d.close(); } catch { /* already closed */ }
	}
	inflight.clear();
	dropPictures();
}

async function createDecoder() {
	closeDecoder();
	const gen = decoderGen;
	waitingForKey = true;
	if (!codec) return;
	configuring = true;
	const config = await decoderConfig(codec);
	if (gen !== decoderGen) return; // superseded meanwhile
	configuring = false;
	if (!config) {
		queued.length = 0;
		setState('error', `decoder: ${codec} not supported`);
		showMessage(`This browser cannot decode the stream's codec ${codec}.`, true);
		return;
	}
	const d = new VideoDecoder({
		output: (frame) => onDecoded(d, frame),
		error: (e) => onDecoderError(d, e),
	});
	try {
		d.configure(config);
	} catch (e) {
		queued.length = 0;
		decoder = d;
		onDecoderError(d, e);
		return;
	}
	decoder = d;
	accelWorked = false;
	hook.acceleration = config.hardwareAcceleration;
	// What arrived while the configuration was being checked (typically the
	// replayed GOP, starting with its IDR).
	for (const m of queued.splice(0)) feed(m);
}

function onDecoderError(d, e) {
	if (d !== decoder) return; // an old decoder
	hook.decoderErrors++;
	logEvent(`decoder error: ${e && e.message}`);
	console.warn('hostenc: decoder error', e);
	if (++errorsWithoutOutput > 6) {
		closeDecoder();
		setState('error', `decoder keeps failing: ${e && e.message}`);
		showMessage(`The video decoder keeps failing (${e && e.message}); reload to retry.`, true);
		return;
	}
	// A configuration that never produced a frame: try the next acceleration.
	if (!accelWorked && accelIndex < ACCELERATIONS.length - 1) accelIndex++;
	createDecoder().then(() => {
		logEvent('asking for a keyframe');
		send({ type: 'keyframe' });
	});
}

function onDecoded(d, frame) {
	if (d !== decoder) { frame.close(); return; }
	accelWorked = true;
	errorsWithoutOutput = 0;
	hook.decoded++;
	const info = inflight.get(frame.timestamp) || { seq: null, replayed: false, rxWall: NaN, t: NaN };
	// Decoding is in order: chunks before this one that produced no frame
	// never will; forget them (and this one).
	for (const ts of inflight.keys()) {
		if (ts > frame.timestamp) break;
		inflight.delete(ts);
	}
	if (Number.isFinite(info.t)) st.decodeMs.push(performance.now() - info.t);
	info.outWall = wallMs();
	if (renderMode === 'draw') {
		offer(frame, null, info);
		return;
	}
	if (nextFrame) {
		nextFrame.frame.close();
		st.dropped++;
	}
	nextFrame = { frame, info };
	if (!converting) convertFrames();
}

// Rendering. Two ways to get a VideoFrame onto the 2D canvas:
// - 'copy': VideoFrame.copyTo() converts to RGBA as soon as the decoder
//   outputs the frame (libyuv on the CPU: about 1 ms at 720p here) and the
//   rAF callback only does putImageData;
// - 'draw': ctx.drawImage(VideoFrame) in the rAF callback: the fast path
//   with a GPU, but without one Chromium converts there in software on the
//   main thread, about 25 ms at 720p here.
// 'auto' (the default) times a few frames each way and keeps the cheaper;
// ?render=copy or ?render=draw forces one. Either way at most one picture
// is put on the canvas per animation frame: the newest; older ones are
// closed unseen.
const RENDER_TRIAL = 8;
const renderForced = ['copy', 'draw'].includes(params.get('render')) ? params.get('render') : null;
let renderMode = renderForced || 'copy';
let renderDecided = renderForced !== null;
let copyUnsupported = false;
const renderCost = { copy: new Samples(RENDER_TRIAL), draw: new Samples(RENDER_TRIAL) };
let ready = null;          // newest picture waiting for the next rAF
let nextFrame = null;      // newest decoded frame waiting for conversion ('copy')
let converting = false;
const imagePool = [];      // spare RGBA buffers of the current size

/** Record what painting one picture cost and, in auto mode, pick the mode. */
function renderCostSample(mode, ms) {
	if (renderDecided) return;
	renderCost[mode].push(ms);
	if (renderCost.copy.length < RENDER_TRIAL && !copyUnsupported) {
		renderMode = 'copy';
	} else if (renderCost.draw.length < RENDER_TRIAL) {
		renderMode = 'draw';
	} else {
		renderMode = copyUnsupported || renderCost.draw.pct(0.5) <= renderCost.copy.pct(0.5) ? 'draw' : 'copy';
		renderDecided = true;
		console.info(`hostenc: painting with ${renderMode === 'copy' ? 'VideoFrame.copyTo + putImageData' : 'drawImage'}` +
			` (median cost: copy ${fmt(renderCost.copy.pct(0.5), 2)} ms, draw ${fmt(renderCost.draw.pct(0.5), 2)} ms)`);
	}
}

function takeImage(w, h) {
	while (imagePool.length) {
		const img = imagePool.pop();
		if (img.width === w && img.height === h) return img;
	}
	return new ImageData(w, h);
}

function releasePicture(pic) {
	if (pic.frame) pic.frame.close();
	if (pic.image && imagePool.length < 3) imagePool.push(pic.image);
}

function dropPictures() {
	if (nextFrame) { nextFrame.frame.close(); nextFrame = null; }
	if (ready) { releasePicture(ready); ready = null; }
}

/** The machine's real picture size inside a decoded frame: H.264 (4:2:0) codes
 * only even sizes, so an odd-sized screen arrives one column/row larger and
 * the server's init says the real size. */
function shownSize(w, h) {
	return { w: videoW ? Math.min(w, videoW) : w, h: videoH ? Math.min(h, videoH) : h };
}

/** Make frame (draw mode) or image (copy mode) the picture for the next rAF. */
function offer(frame, image, info) {
	const pic = frame
		? { frame, ...shownSize(frame.displayWidth, frame.displayHeight), captureUs: frame.timestamp, mode: 'draw' }
		: image;
	pic.info = info;
	pic.readyWall = wallMs();
	if (ready && ready.captureUs > pic.captureUs) {
		// Older than what is waiting (a conversion that finished after a
		// newer frame took the other path): never go back in time.
		releasePicture(pic);
		st.dropped++;
		return;
	}
	if (ready) {
		releasePicture(ready);
		st.dropped++;
	}
	ready = pic;
	if (!rafId) rafId = requestAnimationFrame(paint);
}

async function convertFrames() {
	converting = true;
	while (nextFrame) {
		const { frame, info } = nextFrame;
		nextFrame = null;
		const gen = decoderGen;
		const { w, h } = shownSize(frame.visibleRect.width, frame.visibleRect.height);
		const image = takeImage(w, h);
		const rect = { x: frame.visibleRect.x, y: frame.visibleRect.y, width: w, height: h };
		try {
			await frame.copyTo(image.data, { format: 'RGBA', colorSpace: 'srgb', rect });
		} catch (e) {
			// RGBA conversion not supported by this browser: draw frames instead.
			console.info('hostenc: VideoFrame.copyTo(RGBA) unavailable, using drawImage:', e.message);
			copyUnsupported = true;
			renderMode = 'draw';
			renderDecided = true;
			if (gen === decoderGen) offer(frame, null, info);
			else frame.close();
			if (nextFrame) {
				const n = nextFrame;
				nextFrame = null;
				offer(n.frame, null, n.info);
			}
			break;
		}
		const captureUs = frame.timestamp;
		frame.close();
		if (gen !== decoderGen) {
			// The decoder was replaced meanwhile (disconnect, error): stale.
			if (imagePool.length < 3) imagePool.push(image);
			continue;
		}
		offer(null, { image, w, h, captureUs, mode: 'copy' }, info);
	}
	converting = false;
}

function paint() {
	const rafWall = wallMs();
	rafId = 0;
	const pic = ready;
	ready = null;
	if (!pic) return;
	const { w, h, info, captureUs } = pic;
	if (canvas.width !== w || canvas.height !== h) {
		canvas.width = w;
		canvas.height = h;
	}
	// At its own size: a frame one column/row larger than the canvas is clipped, not scaled.
	if (pic.frame) ctx.drawImage(pic.frame, 0, 0);
	else ctx.putImageData(pic.image, 0, 0);
	const paintWall = wallMs();
	st.drawMs.push(paintWall - rafWall);
	renderCostSample(pic.mode, paintWall - rafWall + (pic.mode === 'copy' ? pic.readyWall - info.outWall : 0));
	releasePicture(pic);

	hook.painted++;
	hook.paintedThisConnection++;
	hook.lastPaintedCaptureUs = captureUs;
	hook.lastPaintedSeq = info.seq;
	hook.lastPaintedReplayed = info.replayed;
	if (hook.firstPaintedReplayed === null) hook.firstPaintedReplayed = info.replayed;
	st.paintTimes.push(performance.now());
	lastPaintAt = performance.now();
	// End-to-end: paint instant on the source's clock minus capture time.
	if (!info.replayed)
		st.e2eMs.push((paintWall * 1000 + clockOffsetUs - captureUs) / 1000);

	if (hook.paintedThisConnection === 1) {
		attempt = 0; // the backoff resets only once a picture is on the glass
		machineStopped = false;
	}
	if (hook.state !== 'streaming')
		setState('streaming', `streaming source ${sourceId}`);
	hideMessage();

	if (benchMode) {
		const code = readStrip(ctx, w, h);
		if (code.error) {
			hook.bench.errors++;
		} else {
			hook.lastCode = code;
			if (hook.bench.samples.length < BENCH_MAX_SAMPLES && !info.replayed) {
				// Both on this machine's wall clock; the strip carries ms mod 2^32.
				const nowMod = paintWall % 4294967296;
				let g = nowMod - code.timeMs;
				if (g < -2147483648) g += 4294967296;
				hook.bench.samples.push(g);
				hook.bench.frames.push(code.frame);
				const capMs = captureUs / 1000;
				hook.bench.stages.push([info.rxWall - capMs, info.outWall - capMs,
					pic.readyWall - capMs, rafWall - capMs, paintWall - capMs]);
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------

function send(obj) {
	if (INPUT_TYPES.has(obj.type) && !canSendInput()) {
		inputHeldBack(obj);
		return;
	}
	if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

/** After a failed upgrade, the answer to a plain GET of the same URL: 4001
 * when the token is missing or wrong (401), 4005 when too many viewers watch
 * already (503), else 0. */
async function explainRefusal() {
	try {
		const u = new URL(wsUrl());
		u.protocol = location.protocol;
		const r = await fetch(u, { cache: 'no-store' });
		return r.status === 401 ? 4001 : r.status === 503 ? 4005 : 0;
	} catch {
		return 0;
	}
}

// A stream's id can go to another stream once it is gone (a guest that
// connects again gets a new one); its name stays. Reconnect by name, and
// put the name in the address bar, so that a bookmark finds it again.
function followName(name) {
	if (typeof name !== 'string' || !name || name === sourceId) return;
	sourceId = hook.source = name;
	if (!params.has('source')) return;
	const u = new URL(location.href);
	u.searchParams.set('source', name);
	history.replaceState(history.state, '', u.pathname + u.search.replace(/%2F/gi, '/') + u.hash);
}

// "◂ All screens": the list (docs/web.md, "The page"), with this page's token.
function setBackLink() {
	const back = $('back');
	if (!back) return;
	const u = new URL('./', location.href);
	if (token) u.searchParams.set('token', token);
	back.href = u.href;
}
setBackLink();

function wsUrl() {
	const u = new URL('ws/stream', location.href);
	u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	u.search = '';
	u.searchParams.set('source', sourceId);
	u.searchParams.set('client', clientId);
	if (clientSecret) u.searchParams.set('secret', clientSecret);
	if (token) u.searchParams.set('token', token);
	return u.href;
}

let supportedCodecs = [];

function connect() {
	reconnectTimer = 0;
	reconnectWanted = false;
	if (terminal) return;
	if (document.hidden) {
		// Don't spin in a background tab: connect when it becomes visible.
		reconnectWanted = true;
		setState('hidden', 'paused while the tab is hidden');
		return;
	}
	if (hook.connects > 0) hook.reconnects++;
	hook.connects++;
	setState('connecting', attempt ? `reconnecting (attempt ${attempt})…` : 'connecting…');
	hook.paintedThisConnection = 0;
	hook.firstPaintedReplayed = null;
	hook.firstFlags = [];
	hook.firstSeq = hook.firstLiveSeq = null;
	hook.replayedThisConnection = 0;
	hook.still = false;
	hook.server = null;
	hook.control = { holder: null, you: false }; // the server says again on this connection
	codec = null;
	waitingForKey = true;

	let sock;
	try {
		sock = new WebSocket(wsUrl());
	} catch (e) {
		setState('error', `cannot connect: ${e.message}`);
		scheduleReconnect();
		return;
	}
	sock.binaryType = 'arraybuffer';
	ws = sock;
	sock.onopen = () => {
		if (sock !== ws) return;
		connectedAt = lastMessageAt = performance.now();
		setState('waiting', 'connected, waiting for video…');
		sock.send(JSON.stringify({
			type: 'init',
			codecs: supportedCodecs,
			width: canvas.clientWidth || canvas.width,
			height: canvas.clientHeight || canvas.height,
		}));
		sendPing();
		clearInterval(pingTimer);
		pingTimer = setInterval(sendPing, PING_INTERVAL_MS);
	};
	sock.onmessage = (ev) => {
		if (sock !== ws) return;
		lastMessageAt = performance.now();
		if (typeof ev.data === 'string') onText(ev.data);
		else onVideo(ev.data);
	};
	let opened = false;
	sock.addEventListener('open', () => { opened = true; });
	sock.onclose = (ev) => {
		if (sock !== ws) return;
		// A refused upgrade (no token: 401; another site's page: 403;
		// too many viewers: 503) is invisible to a WebSocket: ask the
		// server why, once.
		if (!opened && ev.code === 1006) {
			ws = null;
			explainRefusal().then((code) => onClose(code || ev.code, ev.reason, ev.wasClean));
			return;
		}
		onClose(ev.code, ev.reason, ev.wasClean);
	};
	sock.onerror = () => { /* onclose follows */ };
}

function onClose(code, reason, wasClean) {
	ws = null;
	clearInterval(pingTimer);
	pingTimer = 0;
	closeDecoder();
	hook.lastClose = { code, reason, wasClean };
	if (code === 4000) {
		terminal = true;
		setState('superseded', 'superseded by another connection with the same client id (4000)');
		showMessage(closeSentence(4000), true,
			'This view is now open in another window or tab of this page, so this one was ' +
			'disconnected (close code 4000). Reload the page to take it back.');
		return;
	}
	if (code === 4001) {
		terminal = true;
		setState('unauthorized', 'bad or missing token (4001)');
		showMessage(closeSentence(4001), true,
			'The token is missing or wrong (close code 4001). Open the page with ?token=YOUR_TOKEN.');
		return;
	}
	// The machine behind the stream stopped (4004), or it has not come back
	// yet (4002 right after that): say so plainly and keep looking for it
	// every couple of seconds; the picture comes back by itself.
	if (code === 4004 || (code === 4002 && machineStopped)) {
		machineStopped = true;
		setState('stopped', 'machine stopped; waiting for it to start again');
		stopCountdown();
		showMessage(`${closeSentence(4004)}. Waiting for it to start again…`, false, `close code ${code}`);
		reconnectTimer = setTimeout(connect, MACHINE_RETRY_MS);
		return;
	}
	const why = code === 4002 ? 'unknown source' : code === 4003 ? 'too slow' :
		code === 1001 ? 'server shutting down' : reason || `closed (${code})`;
	scheduleReconnect(why, code);
}

function scheduleReconnect(why = '', code = 0) {
	if (terminal || reconnectTimer) return;
	const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	const delay = Math.round(base * (0.5 + Math.random() * 0.5)); // ×0.5–1 jitter
	attempt = Math.min(attempt + 1, 30);
	setState('backoff', code ? `${closeSentence(code)} in ${(delay / 1000).toFixed(1)} s…`
		: `${why ? why + '; ' : ''}reconnecting in ${(delay / 1000).toFixed(1)} s…`);
	showCountdown(closeSentence(code), performance.now() + delay,
		code ? `close code ${code}${why && !/^closed \(/.test(why) ? `: ${why}` : ''}` : why);
	reconnectTimer = setTimeout(connect, delay);
}

function onText(text) {
	let m;
	try { m = JSON.parse(text); } catch { return; }
	switch (m.type) {
	case 'init': onServerInit(m); break;
	case 'pong': onPong(m); break;
	case 'cursor': onCursor(m); break;
	case 'control': onControl(m); break;
	case 'input-refused': onInputRefused(m); break;
	case 'still': hook.still = true; break;
	case 'error':
		hook.lastError = m.message;
		setState('error', `server: ${m.message}`);
		break;
	default: break;
	}
}

// The machine's pointer, drawn by the browser itself over the canvas (no
// round trip for pointer motion): its shape as a CSS cursor image, hidden
// when the machine hides it.
let cursorCss = 'default';

function onCursor(m) {
	hook.cursor = { visible: !!m.visible, width: m.width | 0, height: m.height | 0,
			hotX: m.hot_x | 0, hotY: m.hot_y | 0, x: m.x, y: m.y };
	const w = m.width | 0, h = m.height | 0;
	if (typeof m.rgba === 'string' && w > 0 && h > 0 && w <= 256 && h <= 256) {
		const bytes = Uint8ClampedArray.from(atob(m.rgba), (ch) => ch.charCodeAt(0));
		if (bytes.length === w * h * 4) {
			const c = document.createElement('canvas');
			c.width = w;
			c.height = h;
			c.getContext('2d').putImageData(new ImageData(bytes, w, h), 0, 0);
			cursorCss = `url(${c.toDataURL('image/png')}) ${m.hot_x | 0} ${m.hot_y | 0}, default`;
		}
	} else if (!w || !h) {
		cursorCss = 'default';
	}
	canvas.style.cursor = m.visible ? cursorCss : 'none';
	hook.cursorCss = canvas.style.cursor;
}

// The machine's resolution follows the drawing area, for machines that can
// change their mode (a virtio-gpu VM). The "Resize VM" toggle (shown for
// such machines) turns it off and on; ?resize=0 starts with it off.
// Debounced: a window being dragged asks once it settles.
let resizeRemote = params.get('resize') !== '0';
let resizeTimer = 0, lastAskedSize = '';
const resizeButton = $('resize-button');
hook.resizeRemote = resizeRemote;

function updateResizeUi() {
	resizeButton.hidden = !hook.server?.resizable || hook.role === 'view';
	resizeButton.setAttribute('aria-pressed', String(resizeRemote));
	resizeButton.title = resizeRemote
		? 'The machine\'s screen follows the size of this window; press to keep its size'
		: 'The machine keeps its screen size; press to make it follow this window';
}

resizeButton.addEventListener('click', () => {
	resizeRemote = hook.resizeRemote = !resizeRemote;
	updateResizeUi();
	if (resizeRemote) {
		lastAskedSize = '';
		scheduleRemoteSize(0);
	}
});

function askRemoteSize() {
	resizeTimer = 0;
	if (!resizeRemote || !hook.server?.resizable) return;
	const r = stage.getBoundingClientRect();
	const w = Math.floor(r.width), h = Math.floor(r.height);
	const key = `${w}x${h}`;
	if (w < 64 || h < 64 || key === lastAskedSize) return;
	lastAskedSize = key;
	hook.askedSize = { width: w, height: h };
	send({ type: 'resize', width: w, height: h });
}

function scheduleRemoteSize(ms = 400) {
	if (resizeTimer) clearTimeout(resizeTimer);
	resizeTimer = setTimeout(askRemoteSize, ms);
}
window.addEventListener('resize', () => scheduleRemoteSize());

function onServerInit(m) {
	hook.server = m;
	if (typeof m.client === 'string' && typeof m.secret === 'string') {
		clientId = hook.client = m.client;
		clientSecret = m.secret;
		store('hostenc.client', clientId);
		store('hostenc.secret', clientSecret);
	}
	hook.viewer = m.viewer ?? null;
	followName(m.name);
	hook.role = m.role === 'view' ? 'view' : 'control'; // a server without roles: control
	updateControlUi();
	updateResizeUi();
	if (m.resizable && !lastAskedSize) scheduleRemoteSize(0);
	const w = m.width | 0, h = m.height | 0;
	if (Number.isFinite(m.server_time_us) && !Number.isFinite(bestRttMs))
		clockOffsetUs = m.server_time_us - wallMs() * 1000; // refined by pongs
	const sizeChanged = w !== videoW || h !== videoH;
	videoW = w; videoH = h;
	if (w && h && sizeChanged) {
		canvas.width = w;
		canvas.height = h;
	}
	if (m.codec !== codec || !decoder || sizeChanged) {
		codec = m.codec;
		createDecoder();
	}
}

function onVideo(buf) {
	if (buf.byteLength < HEADER_BYTES) return;
	const dv = new DataView(buf);
	if (dv.getUint8(0) !== KIND_VIDEO) return;
	const flags = dv.getUint8(1);
	const m = {
		buf,
		key: (flags & FLAG_KEY) !== 0,
		replayed: (flags & FLAG_REPLAYED) !== 0,
		captureUs: Number(dv.getBigUint64(8, true)),
		seq: dv.getUint32(16, true),
		rxWall: wallMs(),
	};
	hook.received++;
	hook.still = false;
	hook.lastSeq = m.seq;
	if (m.key) { hook.keyframes++; hook.lastKeySeq = m.seq; }
	if (m.replayed) { hook.replayed++; hook.replayedThisConnection++; }
	if (hook.firstSeq === null) hook.firstSeq = m.seq;
	if (hook.firstLiveSeq === null && !m.replayed) hook.firstLiveSeq = m.seq;
	if (hook.firstFlags.length < 16) hook.firstFlags.push(flags);
	st.bytes += buf.byteLength;
	st.bytesWindow.push([performance.now(), buf.byteLength]);
	if (configuring) {
		if (queued.length < 600) queued.push(m);
		else st.skipped++;
		return;
	}
	feed(m);
}

function feed(m) {
	if (!decoder || decoder.state !== 'configured') {
		// No init yet, or the codec is unsupported.
		st.skipped++;
		waitingForKey = true;
		return;
	}
	if (waitingForKey && !m.key) { st.skipped++; return; }
	// The decoder is far behind (or stuck on bad data): skip to a fresh IDR
	// rather than lag. Not for replayed frames: a GOP replay is a burst by
	// design, and it is what lets a late joiner start at once.
	const oldest = inflight.size ? inflight.values().next().value : null;
	if (!m.replayed && oldest && performance.now() - oldest.t > MAX_DECODE_LAG_MS) {
		logEvent(`decoder ${Math.round(performance.now() - oldest.t)} ms behind: skipping to the next keyframe`);
		st.skipped++;
		waitingForKey = true;
		inflight.clear(); // whatever is still queued comes out without bookkeeping
		send({ type: 'keyframe' });
		return;
	}
	if (waitingForKey) logEvent(`keyframe seq ${m.seq}${m.replayed ? ' (replayed)' : ''}: decoding`);
	waitingForKey = false;
	inflight.set(m.captureUs, { t: performance.now(), seq: m.seq, replayed: m.replayed, rxWall: m.rxWall, outWall: 0 });
	if (inflight.size > 1000) inflight.delete(inflight.keys().next().value);
	try {
		decoder.decode(new EncodedVideoChunk({
			type: m.key ? 'key' : 'delta',
			timestamp: m.captureUs,
			data: new Uint8Array(m.buf, HEADER_BYTES),
		}));
	} catch (e) {
		onDecoderError(decoder, e);
	}
}

function sendPing() {
	send({ type: 'ping', t: performance.now() });
}

function onPong(m) {
	const now = performance.now();
	if (!Number.isFinite(m.t) || !Number.isFinite(m.server_time_us)) return;
	const rtt = now - m.t;
	st.rttMs = rtt;
	// The server read its clock about halfway through the round trip.
	const midWallUs = (performance.timeOrigin + (m.t + now) / 2) * 1000;
	pongs.push({ rtt, offset: m.server_time_us - midWallUs });
	if (pongs.length > 16) pongs.shift();
	// The sample with the smallest round trip bounds the error best.
	const best = pongs.reduce((a, b) => (b.rtt < a.rtt ? b : a));
	bestRttMs = best.rtt;
	clockOffsetUs = best.offset;
}

// Watchdogs: nothing painted for 3 s while connected; nothing at all for 10 s.
setInterval(() => {
	updateStats();
	if (!ws || ws.readyState !== WebSocket.OPEN || terminal) return;
	const now = performance.now();
	if (now - lastMessageAt > STALE_MS && !document.hidden) {
		const s = ws;
		ws = null;
		try { s.close(4100, 'stale'); } catch { /* closing */ }
		onClose(4100, `no data for ${STALE_MS / 1000} s`, false);
		return;
	}
	const since = Math.max(lastPaintAt, connectedAt);
	// A still picture (the server said so) is not a stall: the machine
	// draws nothing new, so no frames come until it does.
	if (now - since > WATCHDOG_MS && !document.hidden && !(hook.still && lastPaintAt)) {
		const text = `No video for ${Math.floor((now - since) / 1000)} s — waiting for the stream…`;
		setState('stalled', text);
		showMessage(text);
	}
}, 500);

document.addEventListener('visibilitychange', () => {
	if (!document.hidden && reconnectWanted && !reconnectTimer && !ws) connect();
});
// Back from the back/forward cache: the old socket is gone.
window.addEventListener('pageshow', (e) => {
	if (e.persisted && !ws && !terminal && !reconnectTimer) connect();
});

// ---------------------------------------------------------------------------
// Roles and control (docs/web.md, "Roles and control")
// ---------------------------------------------------------------------------

// The page's messages that act on the machine; the server refuses them from
// a view-only viewer, and from everyone but the holder once a viewer took
// control. The page does not send what would be refused.
const INPUT_TYPES = new Set(['key', 'pointer', 'wheel', 'resize']);
const NOTE_MS = 4000;
const roleEl = $('role');
const controlButton = $('control-button');
hook.role = null;                          // 'control' | 'view', from the server
hook.control = { holder: null, you: false }; // who took control (a viewer number), and whether it is this page
hook.controlNote = '';                     // the last "Viewer N took control"
hook.inputRefused = 0;                     // input-refused messages from the server
hook.inputHeldBack = 0;                    // input the page did not send (no control)
let noteTimer = 0;

function canSendInput() {
	if (hook.role === 'view') return false;
	return hook.control.holder === null || hook.control.you;
}

function updateControlUi() {
	const view = hook.role === 'view';
	const { holder, you } = hook.control;
	const other = !view && !you && holder !== null;
	const text = view ? 'View only' : you ? 'You have control'
		: other ? (noteTimer ? hook.controlNote : `Viewer ${holder} has control`) : '';
	roleEl.textContent = text;
	roleEl.hidden = !text;
	roleEl.dataset.kind = view ? 'view' : you ? 'you' : other ? 'other' : '';
	roleEl.title = view ? 'This page may watch but not send keyboard or pointer input'
		: other ? 'Another viewer took the keyboard and pointer; "Take control" takes them back' : '';
	const input = hook.server ? hook.server.input !== false : true;
	controlButton.hidden = view || hook.role === null || !input;
	controlButton.textContent = you ? 'Release control' : 'Take control';
	controlButton.setAttribute('aria-pressed', String(you));
	// No special keys or on-screen keyboard for a page that may not type.
	$('keys').hidden = view;
	$('kbd-button').hidden = view;
	$('keys-button').disabled = !canSendInput();
	$('kbd-button').disabled = !canSendInput();
	canvas.setAttribute('aria-label', canSendInput()
		? 'Remote screen: click to send keyboard and mouse input' : 'Remote screen (view only)');
}

function flashRole() {
	if (roleEl.hidden) return;
	roleEl.classList.remove('flash');
	void roleEl.offsetWidth; // restart the animation
	roleEl.classList.add('flash');
}

/** An input message the page kept back: a press, a click or a wheel says why. */
function inputHeldBack(obj) {
	hook.inputHeldBack++;
	if (obj.type !== 'pointer' || obj.buttons) flashRole();
}

function onControl(m) {
	const before = hook.control;
	const holder = Number.isInteger(m.holder) ? m.holder : null;
	if (m.role === 'view' || m.role === 'control') hook.role = m.role;
	hook.control = { holder, you: !!m.you };
	if (holder !== null && !m.you && holder !== before.holder) {
		hook.controlNote = `Viewer ${holder} took control`;
		clearTimeout(noteTimer);
		noteTimer = setTimeout(() => { noteTimer = 0; updateControlUi(); }, NOTE_MS);
	}
	// Control lost: the server let go of every key this page held.
	if (before.you && !m.you) keysDown.clear();
	logEvent(`control: holder ${holder}${m.you ? ' (this page)' : ''}`);
	updateControlUi();
}

function onInputRefused(m) {
	hook.inputRefused++;
	hook.lastRefused = m.reason;
	if (m.reason === 'view-only') hook.role = 'view';
	logEvent(`input refused: ${m.reason}`);
	updateControlUi();
	flashRole();
}

controlButton.addEventListener('click', () => {
	send({ type: 'control', action: hook.control.you ? 'release' : 'take' });
	canvas.focus({ preventScroll: true });
});

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/** Full scale of the normalised pointer position the server takes (docs/web.md). */
const ABS_MAX = 32767;

/** Map a pointer event to video pixels, honouring object-fit: contain. */
function videoPoint(e) {
	const r = canvas.getBoundingClientRect();
	const w = canvas.width, h = canvas.height;
	if (!r.width || !r.height) return null;
	const scale = Math.min(r.width / w, r.height / h);
	const cw = w * scale, ch = h * scale;
	const left = r.left + (r.width - cw) / 2, top = r.top + (r.height - ch) / 2;
	const x = Math.floor((e.clientX - left) / scale);
	const y = Math.floor((e.clientY - top) / scale);
	return {
		x: Math.max(0, Math.min(w - 1, x)),
		y: Math.max(0, Math.min(h - 1, y)),
	};
}

/** The pixel's centre, normalised to 0..ABS_MAX over the picture: the
 * server maps it back to exactly this pixel at any picture size. */
function normalised(v, size) {
	return Math.min(ABS_MAX, Math.floor(((v + 0.5) / size) * (ABS_MAX + 1)));
}

/** A machine without a tablet moves its pointer by relative motion: the page
 * locks the pointer (a click on the canvas; Escape gives it back) and sends
 * the mouse's own movement. */
function relativePointer() {
	return hook.server?.pointer === 'relative';
}

function sendPointer(e) {
	if (relativePointer() && document.pointerLockElement === canvas) {
		send({ type: 'pointer', dx: Math.round(e.movementX || 0), dy: Math.round(e.movementY || 0),
		       buttons: e.buttons });
		return;
	}
	const p = videoPoint(e);
	if (!p) return;
	send({ type: 'pointer', x: normalised(p.x, canvas.width), y: normalised(p.y, canvas.height),
	       buttons: e.buttons });
}

function isStatsShortcut(e) {
	return e.ctrlKey && e.altKey && !e.metaKey && (e.code === 'KeyS' || e.key === 's' || e.key === 'S');
}

canvas.addEventListener('pointerdown', (e) => {
	canvas.focus({ preventScroll: true });
	if (e.pointerType === 'touch') { touchDown(e); e.preventDefault(); return; }
	if (relativePointer() && document.pointerLockElement !== canvas) {
		hook.pointerLockRequested = (hook.pointerLockRequested || 0) + 1;
		try { canvas.requestPointerLock()?.catch?.(() => {}); } catch { /* not allowed here */ }
	}
	try { canvas.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
	sendPointer(e);
	e.preventDefault();
});
canvas.addEventListener('pointerup', (e) => {
	if (e.pointerType === 'touch') { touchUp(e); e.preventDefault(); return; }
	sendPointer(e);
	e.preventDefault();
});
canvas.addEventListener('pointercancel', (e) => { if (e.pointerType === 'touch') touchUp(e); });
canvas.addEventListener('pointermove', (e) => {
	if (e.pointerType === 'touch') { touchMove(e); return; }
	// Without a button held, only moves over the canvas count (no capture).
	sendPointer(e);
});
canvas.addEventListener('contextmenu', (e) => e.preventDefault());
canvas.addEventListener('wheel', (e) => {
	send({ type: 'wheel', dx: e.deltaX, dy: e.deltaY });
	e.preventDefault();
}, { passive: false });

// Touch: a tap is a left click where the finger is; a long press (500 ms
// without moving) a right click; one finger moved is a left-button drag;
// two fingers moved scroll (wheel messages, the content follows the fingers).
const LONG_PRESS_MS = 500;
const TAP_SLOP_PX = 10;
const touches = new Map();     // pointerId -> {x, y}
let touchMode = null;          // null | 'pending' | 'drag' | 'right' | 'scroll'
let touchStart = null, longPressTimer = 0;

function sendPointerAt(e, buttons) {
	const p = videoPoint(e);
	if (!p) return;
	send({ type: 'pointer', x: normalised(p.x, canvas.width), y: normalised(p.y, canvas.height), buttons });
}

function touchDown(e) {
	try { canvas.setPointerCapture(e.pointerId); } catch { /* synthetic */ }
	touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
	if (touches.size === 2) {
		clearTimeout(longPressTimer);
		if (touchMode === 'drag' || touchMode === 'right') sendPointerAt(e, 0);
		touchMode = 'scroll';
		return;
	}
	if (touches.size > 2) return;
	touchMode = 'pending';
	touchStart = { x: e.clientX, y: e.clientY };
	sendPointerAt(e, 0); // move there first
	const ev = { clientX: e.clientX, clientY: e.clientY };
	longPressTimer = setTimeout(() => {
		if (touchMode !== 'pending') return;
		touchMode = 'right';
		hook.touch = 'long-press';
		sendPointerAt(ev, 2);
	}, LONG_PRESS_MS);
}

function touchMove(e) {
	const t = touches.get(e.pointerId);
	if (!t) return;
	if (touchMode === 'scroll') {
		// The mean motion of the fingers, sent as a wheel the other way round.
		const dx = (e.clientX - t.x) / touches.size, dy = (e.clientY - t.y) / touches.size;
		t.x = e.clientX; t.y = e.clientY;
		if (dx || dy) send({ type: 'wheel', dx: -dx, dy: -dy });
		return;
	}
	t.x = e.clientX; t.y = e.clientY;
	if (touchMode === 'pending' && Math.hypot(e.clientX - touchStart.x, e.clientY - touchStart.y) > TAP_SLOP_PX) {
		clearTimeout(longPressTimer);
		touchMode = 'drag';
		sendPointerAt({ clientX: touchStart.x, clientY: touchStart.y }, 1);
	}
	if (touchMode === 'drag') sendPointerAt(e, 1);
	else if (touchMode === 'right') sendPointerAt(e, 2);
}

function touchUp(e) {
	if (!touches.delete(e.pointerId)) return;
	clearTimeout(longPressTimer);
	if (touchMode === 'pending') {           // a tap: click
		hook.touch = 'tap';
		sendPointerAt(e, 1);
		sendPointerAt(e, 0);
	} else if (touchMode === 'drag' || touchMode === 'right') {
		sendPointerAt(e, 0);
	}
	if (!touches.size) touchMode = null;
	else if (touchMode !== 'scroll') touchMode = null;
}

const keysDown = new Set(); // codes held, to release them when focus leaves

function onKey(e, down) {
	if (isStatsShortcut(e)) {
		if (down && !e.repeat) setStatsVisible(!statsVisible);
		e.preventDefault();
		return;
	}
	// The physical key (KeyboardEvent.code); the server turns it into the
	// machine's key code, whatever the page's keyboard layout.
	if (down) keysDown.add(e.code);
	else keysDown.delete(e.code);
	send({ type: 'key', code: e.code, down });
	e.preventDefault();
}
canvas.addEventListener('keydown', (e) => onKey(e, true));
canvas.addEventListener('keyup', (e) => onKey(e, false));
// Focus gone (click elsewhere, Alt+Tab): no key may stay held on the remote side.
canvas.addEventListener('blur', () => {
	for (const code of keysDown) send({ type: 'key', code, down: false });
	keysDown.clear();
	send({ type: 'release' });
});

// Outside the canvas: 's' toggles the overlay (when no text field has focus).
document.addEventListener('keydown', (e) => {
	if (e.target === canvas) return;
	const t = e.target;
	if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
	if (isStatsShortcut(e) || (!e.ctrlKey && !e.altKey && !e.metaKey && (e.key === 's' || e.key === 'S'))) {
		if (!e.repeat) setStatsVisible(!statsVisible);
		e.preventDefault();
	}
});

statsButton.addEventListener('click', () => setStatsVisible(!statsVisible));

// ---------------------------------------------------------------------------
// Fit / 1:1, full screen, keyboard lock, special keys, small screens
// ---------------------------------------------------------------------------

// Fit (the default): the element box is the largest the stage holds at the
// video's aspect ratio, up or down. 1:1: one video pixel per device pixel,
// the stage scrolls. videoPoint() maps through the element box either way.
let fitMode = params.get('fit') === '1:1' ? 'native' : 'fit';
hook.fit = fitMode;
const fitButton = $('fit-button');

function layoutCanvas() {
	const w = canvas.width, h = canvas.height;
	const native = fitMode === 'native';
	stage.classList.toggle('native', native);
	stage.classList.add('sized');
	let cw, ch;
	if (native) {
		const dpr = window.devicePixelRatio || 1;
		cw = w / dpr; ch = h / dpr;
	} else {
		const sw = stage.clientWidth, sh = stage.clientHeight;
		if (!sw || !sh || !w || !h) return;
		const scale = Math.min(sw / w, sh / h);
		cw = w * scale; ch = h * scale;
	}
	canvas.style.width = `${cw}px`;
	canvas.style.height = `${ch}px`;
}

function setFit(mode) {
	fitMode = hook.fit = mode;
	fitButton.setAttribute('aria-pressed', String(mode === 'native'));
	fitButton.textContent = mode === 'native' ? 'Fit' : '1:1';
	fitButton.title = mode === 'native'
		? 'Scale the picture to fit the window'
		: 'Show the picture at its native size (1:1, scrollable)';
	layoutCanvas();
}
fitButton.addEventListener('click', () => setFit(fitMode === 'native' ? 'fit' : 'native'));
new ResizeObserver(() => layoutCanvas()).observe(stage);
// The canvas takes the video's size when a picture of another size arrives.
new MutationObserver(() => layoutCanvas()).observe(canvas, { attributes: true, attributeFilter: ['width', 'height'] });
setFit(fitMode);

// Full screen is the whole page (the toolbar can come back over the
// picture). The keyboard lock (where the browser has it) sends the keys the
// browser would keep (Ctrl+W/T/N, Alt+Tab, the Super key, Escape held) to
// the machine; it only takes effect in full screen.
function lockKeyboard() {
	const kb = navigator.keyboard;
	if (!kb || typeof kb.lock !== 'function') return;
	try {
		Promise.resolve(kb.lock()).then(() => { hook.keyboardLocked = true; },
			(e) => logEvent(`keyboard lock refused: ${e && e.message}`));
	} catch (e) { logEvent(`keyboard lock: ${e && e.message}`); }
}

function unlockKeyboard() {
	hook.keyboardLocked = false;
	try { navigator.keyboard?.unlock?.(); } catch { /* none */ }
}

$('fullscreen-button').addEventListener('click', () => {
	closeMenus();
	if (document.fullscreenElement) {
		document.exitFullscreen?.().catch(() => {});
		return;
	}
	lockKeyboard(); // in the same user gesture
	document.documentElement.requestFullscreen?.({ navigationUI: 'hide' })
		.then(() => canvas.focus({ preventScroll: true }), () => {});
});
document.addEventListener('fullscreenchange', () => {
	const fs = !!document.fullscreenElement;
	document.body.classList.toggle('fullscreen', fs);
	document.body.classList.remove('bar-shown');
	$('fullscreen-button').textContent = fs ? 'Exit full screen' : 'Full screen';
	if (fs) lockKeyboard();
	else unlockKeyboard();
});
$('bar-handle').addEventListener('click', () => document.body.classList.toggle('bar-shown'));
// In full screen the pointer at the very top edge shows the toolbar too.
document.addEventListener('pointermove', (e) => {
	if (!document.body.classList.contains('fullscreen') || e.pointerType === 'touch') return;
	const bar = document.getElementById('bar');
	if (e.clientY <= 2) document.body.classList.add('bar-shown');
	else if (e.clientY > bar.offsetHeight + 40 && !bar.classList.contains('open') && $('keys-menu').hidden)
		document.body.classList.remove('bar-shown');
});

// Soft keyboard: the button focuses a hidden text field, which opens a
// phone's on-screen keyboard; what is typed there goes out as key presses
// (a US layout: the server takes physical keys).
const softInput = $('soft-input');
const SHIFTED = { '!': 'Digit1', '@': 'Digit2', '#': 'Digit3', '$': 'Digit4', '%': 'Digit5', '^': 'Digit6',
	'&': 'Digit7', '*': 'Digit8', '(': 'Digit9', ')': 'Digit0', '_': 'Minus', '+': 'Equal', '{': 'BracketLeft',
	'}': 'BracketRight', '|': 'Backslash', ':': 'Semicolon', '"': 'Quote', '<': 'Comma', '>': 'Period',
	'?': 'Slash', '~': 'Backquote' };
const PLAIN = { ' ': 'Space', '-': 'Minus', '=': 'Equal', '[': 'BracketLeft', ']': 'BracketRight',
	'\\': 'Backslash', ';': 'Semicolon', "'": 'Quote', ',': 'Comma', '.': 'Period', '/': 'Slash',
	'`': 'Backquote', '\n': 'Enter', '\t': 'Tab' };

/** The key presses (codes, Shift first when needed) that type character ch, or null. */
export function charKeys(ch) {
	if (/^[a-z]$/.test(ch)) return [`Key${ch.toUpperCase()}`];
	if (/^[A-Z]$/.test(ch)) return ['ShiftLeft', `Key${ch}`];
	if (/^[0-9]$/.test(ch)) return [`Digit${ch}`];
	if (PLAIN[ch]) return [PLAIN[ch]];
	if (SHIFTED[ch]) return ['ShiftLeft', SHIFTED[ch]];
	return null;
}
hook.charKeys = charKeys;

$('kbd-button').addEventListener('click', () => {
	softInput.value = '';
	softInput.focus({ preventScroll: true });
});
softInput.addEventListener('beforeinput', (e) => {
	e.preventDefault();
	if (e.inputType === 'deleteContentBackward') { sendKeys(['Backspace']); return; }
	if (e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph') { sendKeys(['Enter']); return; }
	for (const ch of e.data || '') {
		const k = charKeys(ch);
		if (k) sendKeys(k);
	}
});
softInput.addEventListener('keydown', (e) => {
	// Keys that make no text (arrows, Escape, Enter on some keyboards).
	if (['Enter', 'Backspace', 'Escape', 'Tab', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
		sendKeys([e.key === 'Enter' ? 'Enter' : e.key]);
		e.preventDefault();
	}
});

// Special keys: sent as the page sends keys, pressed in order and released
// in reverse.
export function keySequence(codes) {
	return [...codes.map((code) => ({ type: 'key', code, down: true })),
		...[...codes].reverse().map((code) => ({ type: 'key', code, down: false }))];
}

function sendKeys(codes) {
	for (const m of keySequence(codes)) send(m);
	hook.lastSpecialKeys = codes;
}

const keysButton = $('keys-button');
const keysMenu = $('keys-menu');
const barEl = $('bar');
const menuButton = $('menu-button');

function closeMenus() {
	keysMenu.hidden = true;
	keysButton.setAttribute('aria-expanded', 'false');
	barEl.classList.remove('open');
	menuButton.setAttribute('aria-expanded', 'false');
}

keysButton.addEventListener('click', (e) => {
	e.stopPropagation();
	keysMenu.hidden = !keysMenu.hidden;
	keysButton.setAttribute('aria-expanded', String(!keysMenu.hidden));
});
keysMenu.addEventListener('click', (e) => {
	const b = e.target.closest('button[data-keys]');
	if (!b) return;
	e.stopPropagation();
	sendKeys(b.dataset.keys.split(/\s+/));
	closeMenus();
	canvas.focus({ preventScroll: true });
});
// Below 600 px the toolbar's controls fold into the menu button.
menuButton.addEventListener('click', (e) => {
	e.stopPropagation();
	const open = !barEl.classList.contains('open');
	barEl.classList.toggle('open', open);
	menuButton.setAttribute('aria-expanded', String(open));
});
$('tools').addEventListener('click', (e) => {
	if (e.target.closest('#keys')) return;
	if (e.target.closest('button')) barEl.classList.remove('open');
});
document.addEventListener('click', (e) => {
	if (!e.target.closest('#bar')) closeMenus();
});
document.addEventListener('keydown', (e) => {
	if (e.key === 'Escape' && e.target !== canvas) closeMenus();
});

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

async function start() {
	setStatsVisible(statsVisible);
	if (!window.isSecureContext || !('VideoDecoder' in window) || !('EncodedVideoChunk' in window)) {
		terminal = true;
		const port = location.port ? `:${location.port}` : '';
		const msg = !window.isSecureContext
			? 'This page needs WebCodecs, which browsers only enable in a secure context: ' +
			  `open it as http://127.0.0.1${port}/ or http://localhost${port}/ on the machine ` +
			  'running hostencd (e.g. through an SSH tunnel), or over https.'
			: 'This page needs WebCodecs (VideoDecoder), which this browser does not provide. ' +
			  'Use a current Chromium, Chrome, Edge, Firefox or Safari.';
		setState('unsupported', 'WebCodecs unavailable');
		canvas.hidden = true; // no empty black box behind the explanation
		showMessage(msg, true);
		return;
	}
	ctx = canvas.getContext('2d', {
		alpha: false,
		desynchronized: true,
		// Bench mode reads pixels back on every frame.
		willReadFrequently: benchMode,
	});
	supportedCodecs = await probeCodecs();
	if (!supportedCodecs.length) {
		terminal = true;
		setState('unsupported', 'no H.264 decoder');
		showMessage('This browser cannot decode H.264 with WebCodecs.', true);
		return;
	}
	connect();
}

start();
