// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared by the browser tests and bench/glass: start hostencd on free ports,
// launch Debian's chromium through playwright-core, read canvas pixels.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = path.resolve(here, '../../..');
export const ARTIFACTS = path.resolve(here, '../artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
	'--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** The hostencd binary: $HOSTENCD (meson sets it), else build/, build-web/ or build-lead/. */
export function hostencdPath() {
	if (process.env.HOSTENCD)
		return process.env.HOSTENCD;
	for (const dir of ['build', 'build-web', 'build-lead']) {
		const p = path.join(SOURCE_ROOT, dir, 'daemon', 'hostencd');
		if (fs.existsSync(p))
			return p;
	}
	throw new Error('hostencd not found: set HOSTENCD or build it (meson setup build && ninja -C build)');
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/** Poll fn() until it returns a truthy value; throws after timeoutMs. */
export async function until(fn, timeoutMs, what, intervalMs = 50) {
	const end = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
					(last instanceof Error ? `: ${last.message}` : ''));
		await sleep(intervalMs);
	}
}

/**
 * Start hostencd serving the test pattern. Options: size ('640x360'), fps,
 * gop, httpHost, httpPort, listenPort (0 = pick), extra (more arguments).
 * Resolves once the HTTP side answers.
 */
export async function startDaemon(opts = {}) {
	const httpHost = opts.httpHost || '127.0.0.1';
	const httpPort = opts.httpPort || await freePort();
	const listenPort = opts.listenPort || await freePort();
	const args = [
		'--http', `${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:${httpPort}`,
		'--listen', `tcp:127.0.0.1:${listenPort}`,
		// Only the VMs a test starts itself (its own --vm-dir), never the machine's.
		...(opts.vmDir ? ['--vm-dir', opts.vmDir] : ['--no-vms']),
		'--pattern-size', opts.size || '640x360',
	];
	if (opts.fps) args.push('--pattern-fps', String(opts.fps));
	if (opts.gop) args.push('--gop', String(opts.gop));
	if (opts.extra) args.push(...opts.extra);
	// hostencd makes a random token unless told otherwise; tests not about
	// tokens watch without one.
	if (!args.some((a) => /^--(no-)?token(=|$)/.test(a))) args.push('--no-token');
	const bin = hostencdPath();
	// Serve this tree's page, not an installed copy.
	const env = { ...process.env };
	env.HOSTENC_WEB_ROOT ||= path.join(SOURCE_ROOT, 'web', 'static');
	const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
	const d = {
		proc, args, httpHost, httpPort, listenPort,
		log: '',
		exited: null,
		origin: `http://${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:${httpPort}`,
		// "/" is the list of screens; the player of the test pattern:
		get url() { return `${this.origin}/`; },
		get player() { return `${this.origin}/?source=pattern`; },
		async stop(signal = 'SIGTERM') {
			if (this.exited)
				return this.exited;
			const done = new Promise((r) => proc.once('exit', () => r()));
			proc.kill(signal);
			const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
			await done;
			clearTimeout(t);
			return this.exited;
		},
	};
	proc.stdout.on('data', (b) => { d.log += b; });
	proc.stderr.on('data', (b) => { d.log += b; });
	proc.once('exit', (code, signal) => { d.exited = { code, signal }; });
	try {
		await until(async () => {
			if (d.exited)
				throw new Error(`hostencd exited early (${JSON.stringify(d.exited)}):\n${d.log}`);
			const r = await fetch(`${d.origin}/`, { signal: AbortSignal.timeout(1000) });
			return r.ok;
		}, Number(process.env.HOSTENCD_START_TIMEOUT_MS || 15000), `hostencd ${args.join(' ')} to serve HTTP`, 100);
	} catch (e) {
		await d.stop('SIGKILL');
		throw new Error(`${e.message}\n--- hostencd log ---\n${d.log}`);
	}
	return d;
}

export async function launchBrowser() {
	return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Open a new page (own context, so own sessionStorage) with console capture. */
export async function openPage(browser, opts = {}) {
	const context = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 800 } });
	const page = await context.newPage();
	page.consoleLog = [];
	page.on('console', (m) => page.consoleLog.push(`${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => page.consoleLog.push(`pageerror: ${e.message}`));
	if (opts.initScript)
		await page.addInitScript(opts.initScript.fn, opts.initScript.arg);
	return page;
}

/** window.hostenc as plain data (functions dropped). */
export function hook(page) {
	return page.evaluate(() => JSON.parse(JSON.stringify(window.hostenc || null)));
}

/** Wait until the page has painted more than `after` frames. */
export async function waitPainted(page, timeoutMs, after = 0) {
	await page.waitForFunction((n) => window.hostenc && window.hostenc.painted > n, after,
				   { timeout: timeoutMs, polling: 20 });
}

/**
 * Pixels of the canvas read in the page with getImageData: {x, y, w, h,
 * data (RGBA), canvasW, canvasH}, of rectangle rect {x, y, w, h} or of the
 * whole canvas. Keep rectangles small: every byte crosses the DevTools
 * protocol as base64 (the whole of a 640x360 canvas costs about half a
 * second). With withPageCode, also what the page's own strip reader finds
 * in the same instant (pageCode).
 */
export async function canvasPixels(page, rect = null, withPageCode = false) {
	const r = await page.evaluate(([rc, wantCode]) => {
		const c = document.getElementById('screen');
		const ctx = c.getContext('2d');
		const q = rc || { x: 0, y: 0, w: c.width, h: c.height };
		const img = ctx.getImageData(q.x, q.y, q.w, q.h);
		let s = '';
		const bytes = img.data;
		for (let i = 0; i < bytes.length; i += 0x8000)
			s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
		const pageCode = wantCode ? window.hostenc.readStrip() : null;
		return { q, cw: c.width, ch: c.height, b64: btoa(s), pageCode };
	}, [rect, withPageCode]);
	return { ...r.q, canvasW: r.cw, canvasH: r.ch, data: Buffer.from(r.b64, 'base64'), pageCode: r.pageCode };
}

/**
 * Mean and worst per-channel deviation from rgb over rectangle rect (canvas
 * coordinates) of pixels px from canvasPixels() (which must cover it).
 */
export function colourStats(px, rect, rgb, inset = 0) {
	let n = 0, worst = 0;
	const sum = [0, 0, 0];
	for (let y = rect.y + inset; y < rect.y + rect.h - inset; y++)
		for (let x = rect.x + inset; x < rect.x + rect.w - inset; x++) {
			const p = ((y - px.y) * px.w + x - px.x) * 4;
			for (let k = 0; k < 3; k++) {
				sum[k] += px.data[p + k];
				worst = Math.max(worst, Math.abs(px.data[p + k] - rgb[k]));
			}
			n++;
		}
	const mean = sum.map((v) => v / n);
	return { mean, worst, meanErr: Math.max(...mean.map((m, k) => Math.abs(m - rgb[k]))) };
}

export function saveArtifact(name, buf) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const p = path.join(ARTIFACTS, name);
	fs.writeFileSync(p, buf);
	return p;
}
