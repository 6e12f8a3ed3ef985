// SPDX-License-Identifier: LGPL-2.1-or-later
// The player page (web/static/) against a real hostencd (docs/web.md), in
// Debian's headless chromium: pixels, frame counter, late join, reconnect,
// decoder errors, input, stats endpoints, token, supersede, the
// no-WebCodecs message.
//
// Each test starts its own hostencd on free loopback ports with the test
// pattern at 640x360 and kills it afterwards. Run with meson (suite
// "browser") or: HOSTENCD=build/daemon/hostencd node --require ./preflight.cjs --test
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
	canvasPixels, colourStats, hook, launchBrowser, openPage, saveArtifact, startDaemon,
	until, waitPainted,
} from './lib/harness.mjs';
import { COLOURS, probes, readCode, stripRect } from './lib/pattern.mjs';

const W = 640, H = 360;

// Colour tolerance per channel for the probes. The probes are flat areas at
// least one cell (10 px at 640x360) from any other colour, so no edge
// ringing reaches them; what remains is the RGB → limited-range BT.601
// 4:2:0 → RGB round trip (8-bit rounding of Y, Cb, Cr both ways) and H.264
// quantisation of a flat block (a DC error). Measured here (libx264 at the
// default bitrate (4 bits per pixel per second then), chromium's software decoder, both
// paint paths): mean error ≤ 2, worst pixel ≤ 4. Allowed: mean ±12 and
// every pixel ±24, six times that, for other decoders and lower bitrates,
// yet tight enough that no two documented colours can be confused (the
// closest pair, panel and idle click, are 40 apart in every channel). A
// colour path that ignored the stream's BT.601 matrix and used BT.709 would
// be off by 30 in green on the click colour: the click probe catches that.
const MEAN_TOL = 12;
const PIXEL_TOL = 24;

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** e with the tails of the daemons' logs (and how they exited) added. */
function withLog(e, daemons) {
	const logs = daemons.filter(Boolean).map((d) =>
		`--- hostencd ${d.args.join(' ')} (exit ${JSON.stringify(d.exited)}), log tail ---\n` +
		d.log.split('\n').filter((l) => !/GLib-GIO-DEBUG|libsoup-DEBUG/.test(l)).slice(-40).join('\n'));
	return new Error(`${e.stack || e.message}\n${logs.join('\n')}`, { cause: e });
}

/** Run body(daemon) with a fresh hostencd; always stop it; show its log on failure. */
async function withDaemon(opts, body) {
	const d = await startDaemon(opts);
	let result;
	try {
		result = await body(d);
	} catch (e) {
		await d.stop();
		throw withLog(e, [d]);
	} finally {
		await d.stop();
	}
	assertCleanExit(d);
	return result;
}

/** hostencd stopped with SIGTERM must exit 0 (sanitizer builds: no error, no leak). */
function assertCleanExit(d) {
	if (!d || d.exited?.code === 0)
		return;
	throw withLog(new Error(`hostencd did not exit cleanly after SIGTERM: ${JSON.stringify(d.exited)}`), [d]);
}

/** Assert the five probes of the canvas show their documented colours. */
function assertProbes(px, clicked, t) {
	for (const p of probes(W, H, clicked)) {
		const s = colourStats(px, p.rect, p.rgb);
		t?.diagnostic(`probe ${p.name}: mean ${s.mean.map((v) => v.toFixed(1))} vs ${p.rgb}, worst ${s.worst}`);
		assert.ok(s.meanErr <= MEAN_TOL && s.worst <= PIXEL_TOL,
			  `probe ${p.name} at ${JSON.stringify(p.rect)}: mean ${s.mean.map((v) => v.toFixed(1))} ` +
			  `vs ${p.rgb}, worst channel error ${s.worst}`);
	}
}

/** HTTP status of a WebSocket upgrade request (101 when accepted). */
function upgradeStatus(d, path, headers = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(path, d.origin);
		const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search,
			headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
				   'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers } });
		req.on('upgrade', (res, socket) => { socket.destroy(); resolve(101); });
		req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
		req.on('error', reject);
		req.end();
	});
}

async function closePage(page) {
	await page.context().close();
}

/** Read the code strip from the page's canvas pixels (Node-side reader). */
async function code(page) {
	const px = await canvasPixels(page, stripRect(W, H));
	assert.equal(px.canvasW, W);
	assert.equal(px.canvasH, H);
	return readCode(px, W, H);
}

/** Wait until the strip on the canvas satisfies pred; returns that code. */
function codeUntil(page, pred, timeoutMs, what) {
	return until(async () => {
		const c = await code(page);
		return pred(c) ? c : null;
	}, timeoutMs, what, 100);
}

test('paints within 5 s; probe rectangles show the documented colours; screenshot', async (t) => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		const t0 = Date.now();
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const firstPaintMs = Date.now() - t0;
		assert.ok(firstPaintMs <= 5000, `first paint after ${firstPaintMs} ms`);

		const h = await hook(page);
		assert.equal(h.state, 'streaming');
		assert.equal(h.server.type, 'init');
		assert.equal(h.server.width, W);
		assert.equal(h.server.height, H);
		assert.match(h.server.codec, /^avc1\.[0-9a-f]{6}$/);

		// The whole canvas, and the page's own strip reading of the same instant.
		const px = await canvasPixels(page, null, true);
		assert.equal(px.canvasW, W, 'canvas has the video width');
		assert.equal(px.canvasH, H, 'canvas has the video height');
		assertProbes(px, false, t);
		// The page's own strip reader agrees with this one.
		const mine = readCode(px, W, H);
		assert.deepEqual(px.pageCode, mine, "the page's strip reader");

		// Stats overlay: the button shows it, with live numbers; then a screenshot.
		await page.click('#stats-button');
		await until(() => page.evaluate(() => window.hostenc.stats.fps > 0), 3000, 'stats fps > 0');
		await sleep(600); // one overlay refresh with a full second of fps
		const overlay = await page.textContent('#stats');
		assert.match(overlay, /fps \(painted\)\s+[1-9]/);
		assert.match(overlay, /encoder\s+\S+/);
		assert.match(overlay, new RegExp(`resolution\\s+${W}x${H}`));
		assert.equal(await page.isVisible('#message'), false, 'no message while streaming');
		const file = saveArtifact('player.png', await page.screenshot());
		assert.ok(file.endsWith('player.png'));
		const errors = page.consoleLog.filter((l) => /^(error|pageerror)/.test(l));
		assert.deepEqual(errors, [], 'no console errors');
		await closePage(page);
	});
});

test('both paint paths (copyTo + putImageData, drawImage) show the documented colours', async (t) => {
	await withDaemon({}, async (d) => {
		for (const mode of ['copy', 'draw']) {
			const page = await openPage(browser);
			await page.goto(`${d.player}&render=${mode}`);
			await waitPainted(page, 5000, 3);
			t.diagnostic(`render=${mode}`);
			assertProbes(await canvasPixels(page), false, t);
			const h = await hook(page);
			assert.equal(h.render, mode);
			// Real decoding through this path: the strip keeps changing.
			const a = await code(page);
			await codeUntil(page, (c) => c.frame > a.frame, 2000, `frames advancing with render=${mode}`);
			await closePage(page);
		}
		// Without a choice the page times both and keeps one.
		const page = await openPage(browser);
		await page.goto(d.player);
		await waitPainted(page, 5000, 2 * 8 + 2);
		await sleep(600);
		const h = await hook(page);
		t.diagnostic(`auto picked ${h.render}; ${page.consoleLog.filter((l) => /painting with/.test(l))}`);
		assert.ok(page.consoleLog.some((l) => /painting with/.test(l)), 'the auto choice is logged');
		await closePage(page);
	});
});

test('an odd-sized screen (641x361) is shown at exactly its size, in both paint paths', async (t) => {
	// H.264 (4:2:0) codes even sizes only: the stream is 642x362 with the
	// last column/row repeated, and the page must show the real 641x361.
	const OW = 641, OH = 361;
	await withDaemon({ size: `${OW}x${OH}` }, async (d) => {
		for (const mode of ['copy', 'draw']) {
			const page = await openPage(browser);
			await page.goto(`${d.player}&render=${mode}`);
			await waitPainted(page, 5000, 3);
			const px = await canvasPixels(page);
			assert.equal(px.canvasW, OW, `canvas width with render=${mode}`);
			assert.equal(px.canvasH, OH, `canvas height with render=${mode}`);
			for (const p of probes(OW, OH, false)) {
				const st = colourStats(px, p.rect, p.rgb);
				t.diagnostic(`${mode} probe ${p.name}: meanErr ${st.meanErr.toFixed(1)} worst ${st.worst}`);
				assert.ok(st.meanErr <= MEAN_TOL && st.worst <= PIXEL_TOL, `probe ${p.name} (${mode})`);
			}
			const c = readCode(await canvasPixels(page, stripRect(OW, OH)), OW, OH);
			assert.ok(Number.isInteger(c.frame), `code strip readable at ${OW}x${OH} (${mode})`);
			await closePage(page);
		}
	});
});

test('frame counter advances: the code strip read twice from the canvas', async () => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const a = await code(page);
		await sleep(1000);
		const b = await code(page);
		// ~30 frames in 1 s at 30 fps; allow for a slow machine.
		assert.ok(b.frame > a.frame + 10, `frame ${a.frame} then ${b.frame} one second later`);
		assert.ok(b.timeMs > a.timeMs, `capture ms ${a.timeMs} then ${b.timeMs}`);
		// Capture time on the strip is this machine's wall clock (loopback).
		const age = (Date.now() % 2 ** 32) - b.timeMs;
		assert.ok(age >= -50 && age < 2000, `painted frame is ${age} ms old`);
		const h = await hook(page);
		assert.ok(h.painted >= 15, `painted ${h.painted}`);
		assert.ok(h.decoded >= h.painted);
		assert.ok(h.lastPaintedCaptureUs > 0);
		await closePage(page);
	});
});

test('a second page joining mid-GOP paints within one GOP, from replayed frames', async (t) => {
	// GOP of 60 frames at 30 fps: an IDR every 2 s.
	await withDaemon({ gop: 60, fps: 30 }, async (d) => {
		const first = await openPage(browser);
		await first.goto(d.player);
		await waitPainted(first, 5000);
		// Loading a page takes a few hundred ms (more on a busy machine), so
		// start soon after an IDR; try again if the join still fell on an IDR.
		let joined = null;
		for (let attempt = 0; attempt < 3 && !joined; attempt++) {
			await until(() => first.evaluate(() => {
				const h = window.hostenc;
				const since = h.lastSeq - h.lastKeySeq;
				return h.lastKeySeq !== null && since >= 3 && since <= 12;
			}), 6000, 'the first page a few frames past an IDR', 5);
			const second = await openPage(browser);
			const t0 = Date.now();
			await second.goto(d.player);
			await waitPainted(second, 2500);
			const ms = Date.now() - t0;
			assert.ok(ms <= 2500, `second page painted after ${ms} ms (GOP = 2 s)`);
			await until(() => second.evaluate(() => window.hostenc.firstLiveSeq !== null), 3000, 'live frames');
			const h = await hook(second);
			t.diagnostic(`attempt ${attempt}: painted after ${ms} ms; first seq ${h.firstSeq}, ` +
				     `${h.replayedThisConnection} replayed, first live seq ${h.firstLiveSeq}`);
			assert.ok(h.firstFlags.length > 0);
			assert.equal(h.firstFlags[0] & 3, 3, `first message flags ${h.firstFlags[0]}: keyframe + replayed`);
			// The replay is the whole GOP so far, without gaps, then live follows.
			assert.equal(h.firstLiveSeq - h.firstSeq, h.replayedThisConnection,
				     'replayed access units are contiguous up to the first live one');
			if (h.replayedThisConnection >= 2)
				joined = second;
			else
				await closePage(second);
		}
		assert.ok(joined, 'a join landed mid-GOP');
		// After the replay, live frames are painted.
		await until(() => joined.evaluate(() => !window.hostenc.lastPaintedReplayed), 3000, 'a live frame painted');
		// The first page was not disturbed.
		const before1 = (await hook(first)).painted;
		await sleep(500);
		assert.ok((await hook(first)).painted > before1, 'first page still painting');
		await closePage(first);
		await closePage(joined);
	});
});

/**
 * Proxy the page's /ws/stream through Playwright and let edit(n, buf) change
 * the n-th binary message from the server (return null to drop it). Returns
 * a log of the page's text messages to the server.
 */
async function tamperStream(page, edit) {
	const toServer = [];
	const counter = { n: 0 };
	await page.routeWebSocket(/\/ws\/stream/, (ws) => {
		const server = ws.connectToServer();
		ws.onMessage((m) => { toServer.push(m); server.send(m); });
		server.onMessage((m) => {
			if (typeof m === 'string') { ws.send(m); return; }
			const out = edit(++counter.n, Buffer.from(m));
			if (out) ws.send(out);
		});
	});
	return { toServer, counter };
}

test('deltas before the first keyframe are dropped, not decoded', async (t) => {
	await withDaemon({ gop: 30 }, async (d) => {
		const page = await openPage(browser);
		// Withhold the first keyframe (the start of the GOP replay) and the
		// three access units after it: the page sees deltas first.
		await tamperStream(page, (n, buf) => (n <= 4 ? null : buf));
		await page.goto(d.player);
		await waitPainted(page, 4000); // the next IDR comes within 1 s (--gop 30)
		const h = await hook(page);
		t.diagnostic(JSON.stringify(h.events));
		assert.equal(h.decoderErrors, 0, 'no decoder error');
		assert.ok(h.stats.skipped >= 1, `skipped ${h.stats.skipped}`);
		assert.equal(h.firstFlags[0] & 1, 0, 'the first message the page saw was a delta');
		assertProbes(await canvasPixels(page), false, t);
		await closePage(page);
	});
});

test('a decoder error: re-created decoder, keyframe requested, video back in well under a GOP', async (t) => {
	// Default GOP: 10 s. Only the page's keyframe request can bring an IDR quickly.
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		let corruptAt = Infinity;
		const { toServer, counter } = await tamperStream(page, (n, buf) => {
			if (n !== corruptAt) return buf;
			// An IDR slice NAL header followed by garbage.
			buf.writeUInt32BE(1, 24);
			buf[28] = 0x65;
			for (let i = 29; i < buf.length; i++) buf[i] = (i * 131 + 7) & 255;
			return buf;
		});
		await page.goto(d.player);
		await waitPainted(page, 5000);
		await sleep(500);
		const before = await hook(page);
		// Garbage is not always an error to a decoder (it may conceal it):
		// corrupt another access unit until the page reports one.
		for (let i = 0; i < 4 && !(await hook(page)).decoderErrors; i++) {
			corruptAt = counter.n + 2;
			await until(() => page.evaluate(() => window.hostenc.decoderErrors > 0), 1500,
				    'a decoder error').catch(() => {});
		}
		assert.ok((await hook(page)).decoderErrors > 0, 'corrupt access units caused a decoder error');
		const t0 = Date.now();
		// A new keyframe, and a frame from it on painted: the new decoder works.
		await page.waitForFunction((k) => {
			const h = window.hostenc;
			return h.keyframes > k && h.lastPaintedSeq !== null && h.lastPaintedSeq >= h.lastKeySeq;
		}, before.keyframes, { timeout: 2500, polling: 10 });
		t.diagnostic(`video back after ${Date.now() - t0} ms`);
		const h = await hook(page);
		t.diagnostic(JSON.stringify(h.events));
		assert.ok(toServer.some((m) => typeof m === 'string' && JSON.parse(m).type === 'keyframe'),
			  'the page sent {"type":"keyframe"}');
		assert.ok(h.keyframes >= 2, `keyframes received ${h.keyframes}`);
		assert.equal(h.state, 'streaming');
		const c = await code(page);
		await codeUntil(page, (k) => k.frame > c.frame, 2000, 'frames advancing after recovery');
		assertProbes(await canvasPixels(page), false, t);
		await closePage(page);
	});
});

test('hostencd killed and restarted on the same ports: the page reconnects and paints again', async () => {
	const first = await startDaemon({});
	const { httpPort, listenPort } = first;
	let second = null;
	const page = await openPage(browser);
	try {
		await page.goto(first.player);
		await waitPainted(page, 5000);
		// Let frame numbers grow well past where a fresh daemon starts.
		await codeUntil(page, (c) => c.frame >= 60, 5000, 'frame >= 60');
		const before = await code(page);
		const paintedBefore = (await hook(page)).painted;

		const connects0 = (await hook(page)).connects;
		await first.stop('SIGKILL');
		await until(() => page.evaluate(() => window.hostenc.state !== 'streaming'), 5000,
			    'the page to notice the dead server');
		// Backoff, not a spin: 0.5 s·2^n with ×0.5–1 jitter gives 2..5
		// attempts in 4 s (connection refused is immediate on loopback).
		await sleep(4000);
		const attempts = (await hook(page)).connects - connects0;
		assert.ok(attempts >= 2 && attempts <= 6, `${attempts} connection attempts in 4 s with the server down`);
		second = await startDaemon({ httpPort, listenPort });
		// The next attempt comes at most ~4 s later (attempt 4: 2–4 s).
		await page.waitForFunction((n) => window.hostenc.painted > n && window.hostenc.paintedThisConnection > 0,
					   paintedBefore, { timeout: 15000, polling: 50 });
		const h = await hook(page);
		assert.ok(h.reconnects >= 1, `reconnects ${h.reconnects}`);
		assert.equal(h.state, 'streaming');
		const after = await code(page);
		assert.ok(after.frame < before.frame, `frame numbers restart: ${before.frame} before, ${after.frame} after`);
		// And it keeps going.
		await codeUntil(page, (c) => c.frame > after.frame, 3000, 'frames advancing after reconnect');
	} catch (e) {
		throw withLog(e, [first, second]);
	} finally {
		await closePage(page);
		await first.stop();
		await second?.stop();
	}
	assertCleanExit(second); // the first one was SIGKILLed
});

test('no reconnect attempts while the tab is hidden; reconnects when visible again', async () => {
	const first = await startDaemon({});
	let second = null;
	const page = await openPage(browser);
	try {
		await page.goto(first.player);
		await waitPainted(page, 5000);
		// Headless pages are always visible: fake a hidden tab.
		await page.evaluate(() => {
			window.__hidden = true;
			Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
			Object.defineProperty(document, 'visibilityState', { configurable: true,
				get: () => (window.__hidden ? 'hidden' : 'visible') });
			document.dispatchEvent(new Event('visibilitychange'));
		});
		await first.stop();
		await until(() => page.evaluate(() => window.hostenc.state === 'hidden'), 5000, 'state hidden');
		second = await startDaemon({ httpPort: first.httpPort, listenPort: first.listenPort });
		const c0 = (await hook(page)).connects;
		await sleep(3000);
		const h = await hook(page);
		assert.equal(h.connects, c0, 'no connection attempts while hidden');
		assert.equal(h.state, 'hidden');
		const painted = h.painted;
		await page.evaluate(() => {
			window.__hidden = false;
			document.dispatchEvent(new Event('visibilitychange'));
		});
		await waitPainted(page, 5000, painted);
		assert.equal((await hook(page)).state, 'streaming');
	} catch (e) {
		throw withLog(e, [first, second]);
	} finally {
		await closePage(page);
		await first.stop();
		await second?.stop();
	}
	assertCleanExit(first);
	assertCleanExit(second);
});

test('render watchdog: a stalled server shows "No video for 3 s", then recovers', async () => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		await page.goto(d.player);
		await waitPainted(page, 5000);
		assert.equal(await page.isVisible('#message'), false);
		d.proc.kill('SIGSTOP'); // the socket stays open, nothing arrives
		try {
			await page.waitForSelector('#message', { state: 'visible', timeout: 6000 });
			assert.match(await page.textContent('#message'), /No video for \d+ s/);
			assert.equal((await hook(page)).state, 'stalled');
			saveArtifact('watchdog.png', await page.screenshot());
		} finally {
			d.proc.kill('SIGCONT');
		}
		const n = (await hook(page)).painted;
		await waitPainted(page, 5000, n);
		await page.waitForSelector('#message', { state: 'hidden', timeout: 2000 });
		assert.equal((await hook(page)).state, 'streaming');
		await closePage(page);
	});
});

test('keyboard and a click on the canvas reach the test pattern', async () => {
	await withDaemon({}, async (d) => {
		// A viewport smaller than the video: the canvas is scaled down, so
		// the pointer mapping from CSS pixels to video pixels is exercised.
		const page = await openPage(browser, { viewport: { width: 480, height: 400 } });
		await page.goto(d.player);
		await waitPainted(page, 5000);
		const c0 = await code(page);
		assert.equal(c0.clickCount, 0);
		assert.equal(c0.keyCount, 0);

		const box = await page.locator('#screen').boundingBox();
		assert.ok(box.width < W, `canvas shown at ${box.width} CSS px for ${W} video px`);
		const css = { x: 150, y: 80 };
		await page.click('#screen', { position: css });
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'screen', 'a click focuses the canvas');
		await page.keyboard.press('a');

		// The pattern shows the low byte of the key's evdev code: the page
		// sends KeyboardEvent.code, the server translates it (KEY_A = 30).
		const c = await codeUntil(page, (k) => k.keyCode === 30 && k.keyCount >= 1 && k.clickCount >= 1,
					  3000, "key 'a' and a click on the code strip");
		const ex = Math.floor(css.x * W / box.width), ey = Math.floor(css.y * H / box.height);
		assert.ok(Math.abs(c.pointerX - ex) <= 1 && Math.abs(c.pointerY - ey) <= 1,
			  `pointer ${c.pointerX},${c.pointerY}, expected ${ex},${ey}`);
		const click = probes(W, H, true)[4];
		await until(async () => {
			const s = colourStats(await canvasPixels(page, click.rect), click.rect, COLOURS.click);
			return s.meanErr <= MEAN_TOL && s.worst <= PIXEL_TOL;
		}, 2000, `click probe in ${COLOURS.click}`);

		// More keys count; the key code follows the last physical key (KEY_B = 48).
		await page.keyboard.press('Shift+B');
		await codeUntil(page, (k) => k.keyCode === 48 && k.keyCount >= 3, 3000,
				"key 'B' (Shift down counts too)");

		// Ctrl+Alt+S toggles the stats overlay and is not sent (Control and
		// Alt themselves are: the last key the pattern shows is Alt).
		assert.equal(await page.isVisible('#stats'), false);
		await page.keyboard.press('Control+Alt+s');
		await page.waitForSelector('#stats', { state: 'visible', timeout: 1000 });
		const k1 = await codeUntil(page, (k) => k.keyCode === 56, 3000, "last key 'Alt' (KEY_LEFTALT = 56)");
		// With the focus off the canvas, plain 's' toggles it and nothing is sent.
		await page.click('#title');
		assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'screen');
		await page.keyboard.press('s');
		await page.waitForSelector('#stats', { state: 'hidden', timeout: 1000 });
		await sleep(300);
		const k2 = await code(page);
		assert.equal(k2.keyCount, k1.keyCount, 'no key sent while the canvas has no focus');
		await closePage(page);
	});
});

test('/stats is JSON and /metrics is Prometheus text, with frames counted', async () => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		await page.goto(d.player);
		await waitPainted(page, 5000);
		// Wheel events reach the server (the pattern does not draw them; the
		// viewer's input counter shows them).
		const { viewer: number, client } = await hook(page);
		assert.ok(Number.isInteger(number), `the viewer's number in the server's init: ${number}`);
		const box = await page.locator('#screen').boundingBox();
		await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
		await page.mouse.wheel(0, 120);
		await page.mouse.wheel(0, -120);
		await sleep(1000);

		const r = await fetch(`${d.origin}/stats`);
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type') || '', /json/);
		const stats = await r.json();
		const src = (stats.sources || []).find((s) => s.id === 0);
		assert.ok(src, `source 0 in /stats: ${JSON.stringify(stats).slice(0, 300)}`);
		const frameKeys = Object.keys(src).filter((k) => /frames/.test(k) && typeof src[k] === 'number');
		assert.ok(frameKeys.length > 0, `frame counters in ${Object.keys(src)}`);
		assert.ok(frameKeys.every((k) => src[k] > 0), `all of ${frameKeys.map((k) => `${k}=${src[k]}`)} > 0`);
		// the bitrate produced beside the one asked for
		assert.ok(src.bitrate > 0 && src.bitrate_measured > 0,
			  `bitrate ${src.bitrate}, measured ${src.bitrate_measured}`);
		const viewer = (stats.viewers || []).find((v) => v.viewer === number);
		assert.ok(viewer, `this page's viewer in /stats: ${JSON.stringify(stats.viewers)}`);
		// its client id is not published: whoever knows it could pose as the page
		assert.ok(!JSON.stringify(stats).includes(client), 'no client id in /stats');
		assert.ok(viewer.sent > 0, `access units sent to the page: ${viewer.sent}`);
		assert.ok(viewer.input_events >= 2, `input events from the page (moves, 2 wheels): ${viewer.input_events}`);

		const m = await fetch(`${d.origin}/metrics`);
		assert.equal(m.status, 200);
		assert.match(m.headers.get('content-type') || '', /^text\/plain/);
		const text = await m.text();
		const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( -?\d+)?$/;
		const samples = [];
		for (const line of text.split('\n')) {
			if (line === '' || line.startsWith('#'))
				continue;
			const mm = sample.exec(line);
			assert.ok(mm, `not a Prometheus sample line: ${JSON.stringify(line)}`);
			samples.push({ name: mm[1], labels: mm[2] || '', value: Number(mm[3]) });
		}
		const frames = samples.filter((s) => /frames/.test(s.name) && !/dropped/.test(s.name) &&
					      /name="pattern"/.test(s.labels));
		assert.ok(frames.length > 0, 'a frames counter for the pattern source');
		/* no label whose values grow with connections (ids, ports) */
		assert.ok(!samples.some((s) => /(source|peer|port|client)="/.test(s.labels)),
			  'no per-connection labels');
		assert.ok(samples.some((s) => s.name === 'hostenc_build_info' && s.value === 1));
		assert.ok(samples.some((s) => s.name === 'hostenc_source_stage_latency_seconds_count'),
			  'the summary has _count');
		/* Prometheus's own linter, where the prometheus package is there */
		const lint = spawnSync('promtool', ['check', 'metrics'], { input: text });
		if (lint.error)
			console.log(`# promtool not found (${lint.error.code}): lint skipped`);
		else
			assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
		assert.ok(frames.some((s) => s.value > 0), `frames counters: ${JSON.stringify(frames)}`);
		await closePage(page);
	});
});

/** The client id and secret the page keeps for its reconnects. */
function identity(page) {
	return page.evaluate(() => [sessionStorage.getItem('hostenc.client'),
				    sessionStorage.getItem('hostenc.secret')]);
}

function withIdentity([id, secret]) {
	return {
		initScript: {
			fn: ([i, s]) => {
				sessionStorage.setItem('hostenc.client', i);
				if (s) sessionStorage.setItem('hostenc.secret', s);
			},
			arg: [id, secret],
		},
	};
}

test('a second page with the same client id and secret supersedes the first (4000, no reconnect)', async () => {
	await withDaemon({}, async (d) => {
		const first = await openPage(browser);
		await first.goto(d.player);
		await waitPainted(first, 5000);
		const { client } = await hook(first);
		const [id, secret] = await identity(first);
		assert.equal(id, client);
		assert.match(secret || '', /^[0-9a-f]{32}$/, 'the secret from the server\'s init is kept');

		// Same id and secret in the second page's sessionStorage, as a duplicated tab would have.
		const second = await openPage(browser, withIdentity([id, secret]));
		await second.goto(d.player);
		await waitPainted(second, 5000);
		assert.equal((await hook(second)).client, client);

		await until(() => first.evaluate(() => window.hostenc.state === 'superseded'), 5000, 'first page superseded');
		const h1 = await hook(first);
		assert.equal(h1.lastClose.code, 4000);
		assert.match(await first.textContent('#message'), /4000/);
		assert.equal(await first.textContent('#message-text'), 'Another window took over this view');
		assert.ok(await first.isVisible('#message'));
		saveArtifact('superseded.png', await first.screenshot());
		const connects = h1.connects;
		await sleep(3000); // longer than the first backoff steps
		const h1b = await hook(first);
		assert.equal(h1b.connects, connects, 'the superseded page did not reconnect');
		assert.equal(h1b.state, 'superseded');
		const n = (await hook(second)).painted;
		await waitPainted(second, 2000, n);
		assert.equal((await hook(second)).state, 'streaming', 'the second page keeps streaming');
		await closePage(first);
		await closePage(second);
	});
});

test('a page with only another viewer\'s client id (no secret) gets its own and closes nobody', async () => {
	await withDaemon({}, async (d) => {
		const first = await openPage(browser);
		await first.goto(d.player);
		await waitPainted(first, 5000);
		const [id] = await identity(first);

		for (const secret of [null, '0'.repeat(32)]) {
			const other = await openPage(browser, withIdentity([id, secret]));
			await other.goto(d.player);
			await waitPainted(other, 5000);
			const h = await hook(other);
			assert.notEqual(h.client, id, 'the server gave the other page an id of its own');
			assert.equal((await identity(other))[0], h.client, 'and the page keeps it');
			const n = (await hook(first)).painted;
			await waitPainted(first, 3000, n);
			const h1 = await hook(first);
			assert.equal(h1.state, 'streaming', 'the first page keeps streaming');
			assert.equal(h1.connects, 1, 'the first page was never disconnected');
			await closePage(other);
		}
		await closePage(first);
	});
});

test('a token: without it the upgrade is refused (401), the page says why, no retry; with ?token= it streams', async () => {
	await withDaemon({ extra: ['--token', 's3cret'] }, async (d) => {
		// Refused before the WebSocket handshake, not upgraded and closed.
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0'), 401);
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0&token=s3cret'), 101);
		const bad = await openPage(browser);
		await bad.goto(d.player);
		await until(() => bad.evaluate(() => window.hostenc.state === 'unauthorized'), 5000, 'state unauthorized');
		const h = await hook(bad);
		assert.equal(h.lastClose.code, 4001);
		assert.ok(await bad.isVisible('#message'));
		assert.match(await bad.textContent('#message'), /token/);
		assert.equal(await bad.textContent('#message-text'), 'Access denied: this page needs the right token');
		await sleep(1500);
		assert.equal((await hook(bad)).connects, 1, 'no reconnect after 4001');

		const good = await openPage(browser);
		await good.goto(`${d.player}&token=s3cret`);
		await waitPainted(good, 5000);
		assert.equal((await fetch(`${d.origin}/stats`)).status, 401, '/stats needs the token');
		assert.equal((await fetch(`${d.origin}/stats?token=s3cret`)).status, 200);
		await closePage(bad);
		await closePage(good);
	});
});

test('--max-viewers: one viewer more is refused (503) before the handshake; the page says so, retries and gets in once a viewer leaves', async () => {
	await withDaemon({ extra: ['--max-viewers', '1'] }, async (d) => {
		const first = await openPage(browser);
		await first.goto(d.player);
		await waitPainted(first, 5000);
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0'), 503);
		const second = await openPage(browser);
		await second.goto(d.player);
		await until(async () => (await hook(second)).lastClose?.code === 4005, 10000, 'the refusal explained (4005)');
		assert.ok(await second.isVisible('#message'));
		assert.match(await second.textContent('#message-text'),
			     /^Too many viewers are watching this server: retrying( in \d+ s|…)$/);
		assert.equal((await hook(first)).state, 'streaming', 'the first page keeps streaming');
		await closePage(first);
		await waitPainted(second, 30000);
		await closePage(second);
	});
});

test('a page of another site cannot connect (403 before the handshake) unless --allow-origin names it', async () => {
	await withDaemon({ extra: ['--allow-origin', 'https://proxy.example'] }, async (d) => {
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0', { Origin: 'http://evil.example' }), 403);
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0', { Origin: d.origin }), 101);
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0', { Origin: 'https://proxy.example' }), 101);
		assert.equal(await upgradeStatus(d, '/ws/stream?source=0'), 101, 'no Origin: not a browser page');
		// A real page of another site (served here by a second server) tries.
		const evilServer = http.createServer((req, res) => {
			res.setHeader('Content-Type', 'text/html');
			res.end(`<script>window.result = new Promise((done) => {
				const ws = new WebSocket('${d.origin.replace('http', 'ws')}/ws/stream?source=0');
				ws.onopen = () => done('open'); ws.onclose = (e) => done('closed ' + e.code);
			});</script>`);
		});
		await new Promise((r) => evilServer.listen(0, '127.0.0.1', r));
		const evil = await openPage(browser);
		await evil.goto(`http://127.0.0.1:${evilServer.address().port}/`);
		assert.equal(await evil.evaluate(() => window.result), 'closed 1006');
		await closePage(evil);
		evilServer.close();
	});
});

test('an unknown source (4002) is retried with backoff', async () => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser);
		await page.goto(`${d.url}?source=99`);
		await until(() => page.evaluate(() => window.hostenc.lastClose?.code === 4002), 5000, 'close 4002');
		await sleep(2500);
		const h = await hook(page);
		assert.equal(h.painted, 0);
		assert.ok(['backoff', 'connecting', 'waiting'].includes(h.state), `state ${h.state}`);
		// 0.25–0.5 s, then 0.5–1 s, then 1–2 s: 2..4 attempts in ~3 s.
		assert.ok(h.connects >= 2 && h.connects <= 5, `${h.connects} attempts`);
		await closePage(page);
	});
});

test('without WebCodecs (simulated) the page says so instead of a black box', async () => {
	await withDaemon({}, async (d) => {
		const page = await openPage(browser, {
			initScript: { fn: () => { delete window.VideoDecoder; }, arg: undefined },
		});
		await page.goto(d.player);
		await page.waitForSelector('#message', { state: 'visible', timeout: 5000 });
		assert.match(await page.textContent('#message'), /WebCodecs/);
		assert.equal((await hook(page)).state, 'unsupported');
		saveArtifact('no-webcodecs.png', await page.screenshot());
		await closePage(page);
	});
});

/** An IPv4 address of this machine that is not loopback, or null. */
function nonLoopbackAddress() {
	for (const list of Object.values(os.networkInterfaces()))
		for (const a of list || [])
			if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.'))
				return a.address;
	return null;
}

test('from a non-secure origin the page explains the secure-context requirement', async (t) => {
	const addr = nonLoopbackAddress();
	if (!addr) {
		t.skip('this machine has no non-loopback IPv4 address');
		return;
	}
	// Off loopback hostencd wants a token; the static page needs none.
	await withDaemon({ httpHost: addr, extra: ['--token', 'browser-test-token'] }, async (d) => {
		const page = await openPage(browser);
		await page.goto(d.player);
		assert.equal(await page.evaluate(() => window.isSecureContext), false);
		await page.waitForSelector('#message', { state: 'visible', timeout: 5000 });
		const text = await page.textContent('#message');
		assert.match(text, /WebCodecs/);
		assert.match(text, /secure context/);
		assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:${d.httpPort}/`));
		await closePage(page);
	});
});
