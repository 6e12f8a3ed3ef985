#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Glass-to-glass latency on loopback: hostencd's test pattern → libx264 →
// WebSocket → the player page (web/static/) in headless chromium, bench mode.
//
// For every painted frame the page reads the pattern's code strip back from
// the canvas pixels it just drew (daemon/sources/pattern/pattern.h) and records
// paint time − capture time, both this machine's wall clock. Headless
// chromium has no display, so "glass" is the canvas update in the rAF
// callback; a real screen adds compositing and scan-out. Replayed GOP
// frames and the first WARMUP_S seconds are left out.
//
// Usage (after scripts/setup and a build):
//   node bench/glass/glass.mjs [--frames 1000] [--sizes 1280x720,1920x1080]
//        [--fps 30] [--render copy,draw] [--nice 0,-10] [--hostencd build/daemon/hostencd]
//        [--write docs/benchmarks.md]
// --render: the page's paint path(s), one pass each: copy (VideoFrame.copyTo
// + putImageData, what the page picks here) or draw (drawImage). Default: copy.
// --mode NAME[:OPTIONS] (repeatable): one pass per mode, hostencd started with
// OPTIONS (space-separated), e.g. --mode idr --mode 'ir:--intra-refresh';
// --rounds N repeats everything N times, modes interleaved (A B A B …); a
// "mode" column then names each row's mode.
// --nice N[,N…]: one pass over all sizes per value, with chromium and
// hostencd (every thread) reniced to N while measuring (negative values need
// root). On a shared machine a negative value shows what the pipeline does
// when it is not waiting for a CPU. Default: 0.
// Prints a table; with --write, replaces (or appends) the "## Glass-to-glass"
// section of that file and leaves the rest of it alone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
// playwright-core lives in tests/browser/node_modules (installed by scripts/setup).
const harness = await import(path.join(root, 'tests/browser/lib/harness.mjs')).catch((e) => {
	console.error(`bench/glass: cannot load the browser harness (${e.message}); run scripts/setup as root`);
	process.exit(77);
});
const { startDaemon, launchBrowser, openPage, waitPainted, hostencdPath } = harness;

const WARMUP_S = 3;

function parseArgs(argv) {
	const o = { nice: [0], render: ['copy'], frames: 1000, sizes: ['1280x720', '1920x1080'], fps: 30, write: null, hostencd: null, modes: [], rounds: 1 };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = () => argv[++i];
		if (a === '--frames') o.frames = Number(v());
		else if (a === '--sizes') o.sizes = v().split(',');
		else if (a === '--fps') o.fps = Number(v());
		else if (a === '--write') o.write = v();
		else if (a === '--hostencd') o.hostencd = v();
		else if (a === '--render') o.render = v().split(',');
		else if (a === '--nice') o.nice = v().split(',').map(Number);
		else if (a === '--mode') {
			const [name, ...rest] = v().split(':');
			o.modes.push({ name, args: rest.join(':').split(' ').filter(Boolean) });
		} else if (a === '--rounds') o.rounds = Number(v());
		else { console.error(`bench/glass: unknown argument ${a}`); process.exit(2); }
	}
	return o;
}

/** Every thread of every descendant of this process gets nice value n. */
function reniceTree(n) {
	const children = new Map();
	for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
		try {
			const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
			const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
			if (!children.has(ppid)) children.set(ppid, []);
			children.get(ppid).push(pid);
		} catch { /* gone */ }
	}
	const todo = [String(process.pid)], tids = [];
	while (todo.length) {
		const pid = todo.pop();
		for (const c of children.get(pid) || []) {
			todo.push(c);
			try { tids.push(...fs.readdirSync(`/proc/${c}/task`)); } catch { /* gone */ }
		}
	}
	if (tids.length)
		spawnSync('renice', ['-n', String(n), '-p', ...tids], { stdio: 'ignore' });
}

function pct(sorted, p) {
	if (!sorted.length) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–');

async function measure(browser, size, opts) {
	const [w, h] = size.split('x').map(Number);
	const d = await startDaemon({ size, fps: opts.fps, extra: opts.modeNow?.args });
	const page = await openPage(browser, { viewport: { width: Math.max(1280, w), height: Math.max(800, h + 60) } });
	try {
		await page.goto(`${d.player}&bench=1&render=${opts.renderNow}`);
		await waitPainted(page, 10000);
		await sleep(WARMUP_S * 1000);
		reniceTree(opts.niceNow); // chromium (including this page's renderer) and hostencd
		await page.evaluate(() => window.hostenc.bench.reset());
		const t0 = Date.now();
		const p0 = await page.evaluate(() => window.hostenc.painted);
		const timeoutMs = (opts.frames / opts.fps) * 3000 + 30000;
		await page.waitForFunction((n) => window.hostenc.bench.samples.length >= n, opts.frames,
					   { timeout: timeoutMs, polling: 250 });
		const t1 = Date.now();
		const r = await page.evaluate(() => ({
			samples: window.hostenc.bench.samples.slice(),
			frames: window.hostenc.bench.frames.slice(),
			stages: window.hostenc.bench.stages.slice(),
			errors: window.hostenc.bench.errors,
			painted: window.hostenc.painted,
			stats: window.hostenc.stats,
			server: window.hostenc.server,
		}));
		const server = await (await fetch(`${d.origin}/stats`)).json().catch(() => null);
		const n = opts.frames;
		const g = r.samples.slice(0, n).sort((a, b) => a - b);
		const st = r.stages.slice(0, n);
		const col = (k) => st.map((s) => s[k]).sort((a, b) => a - b);
		const rx = col(0), paint = col(4);
		const diff = (i) => st.map((s) => s[i] - s[i - 1]).sort((a, b) => a - b);
		const decOnly = diff(1), conv = diff(2), wait = diff(3), draw = diff(4);
		const frames = r.frames.slice(0, n);
		const span = frames[frames.length - 1] - frames[0] + 1;
		const src = server?.sources?.find((s) => s.id === 0);
		return {
			size, n: g.length, errors: r.errors,
			p50: pct(g, 0.5), p95: pct(g, 0.95), p99: pct(g, 0.99), max: g[g.length - 1],
			fps: (r.painted - p0) / ((t1 - t0) / 1000),
			sourceFramesShown: `${frames.length}/${span}`,
			rx50: pct(rx, 0.5), rx99: pct(rx, 0.99),
			dec50: pct(decOnly, 0.5), dec99: pct(decOnly, 0.99),
			conv50: pct(conv, 0.5), conv99: pct(conv, 0.99),
			wait50: pct(wait, 0.5), wait99: pct(wait, 0.99),
			draw50: pct(draw, 0.5), draw99: pct(draw, 0.99),
			paint50: pct(paint, 0.5),
			encoder: r.server?.encoder, codec: r.server?.codec,
			serverLatency: src?.latency_us || null,
			decoder: r.stats?.acceleration,
			render: r.stats?.render,
			load: os.loadavg()[0],
		};
	} finally {
		await page.context().close();
		await d.stop();
	}
}

function table(results) {
	const modes = results.some((r) => r.mode);
	const lines = [
		(modes ? '| mode ' : '') + '| size @ fps | paint path | nice | frames | load | glass-to-glass p50 | p95 | p99 | max | painted fps | capture→received p50 / p99 | decode p50 / p99 | convert p50 / p99 | wait for rAF p50 / p99 | paint p50 / p99 |',
		(modes ? '|---' : '') + '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
	];
	for (const r of results)
		lines.push(`${modes ? `| ${r.mode} ` : ''}| ${r.size} @ ${r.fpsTarget} | ${r.renderMode} | ${r.nice} | ${r.n} | ${f1(r.load)} | ${f1(r.p50)} ms | ${f1(r.p95)} ms | ${f1(r.p99)} ms | ${f1(r.max)} ms | ${f1(r.fps)} | ` +
			   `${f1(r.rx50)} / ${f1(r.rx99)} ms | ${f1(r.dec50)} / ${f1(r.dec99)} ms | ${f1(r.conv50)} / ${f1(r.conv99)} ms | ${f1(r.wait50)} / ${f1(r.wait99)} ms | ${f1(r.draw50)} / ${f1(r.draw99)} ms |`);
	return lines.join('\n');
}

function serverTable(results) {
	const lines = [
		'| size | paint path | nice | encoder | receive p50/p99 | convert p50/p99 | encode p50/p99 | send p50/p99 |',
		'|---|---|---|---|---|---|---|---|',
	];
	for (const r of results) {
		const l = r.serverLatency;
		const c = (k) => (l && l[k] ? `${f1(l[k].p50 / 1000)} / ${f1(l[k].p99 / 1000)} ms` : '–');
		lines.push(`| ${r.size} | ${r.renderMode} | ${r.nice} | ${r.encoder || '–'} | ${c('receive')} | ${c('convert')} | ${c('encode')} | ${c('send')} |`);
	}
	return lines.join('\n');
}

/** One sentence: which stage is largest at p50 and at p99. */
function dominant(r) {
	const stages = [
		['capture→received (server: render, convert, encode, send)', r.rx50, r.rx99],
		['decode', r.dec50, r.dec99],
		['RGBA conversion', r.conv50, r.conv99],
		['waiting for the animation frame', r.wait50, r.wait99],
		['paint', r.draw50, r.draw99],
	];
	const top = (k) => stages.reduce((a, b) => (b[k] > a[k] ? b : a));
	const p50 = top(1), p99 = top(2);
	return `- ${r.size}, ${r.renderMode}, nice ${r.nice}: the largest stage is ${p50[0]} at p50 (${f1(p50[1])} ms) and ` +
		`${p99[0]} at p99 (${f1(p99[2])} ms).`;
}

function writeSection(file, body) {
	const heading = '## Glass-to-glass';
	let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
	const start = text.indexOf(`\n${heading}\n`);
	if (start >= 0) {
		const rest = text.slice(start + 1 + heading.length);
		const next = rest.search(/\n## /);
		const end = next >= 0 ? start + 1 + heading.length + next + 1 : text.length;
		text = text.slice(0, start + 1) + body + (next >= 0 ? '\n' + text.slice(end) : '');
	} else {
		text = text.replace(/\n*$/, '\n\n') + body;
	}
	fs.writeFileSync(file, text.replace(/\n*$/, '\n'));
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (opts.hostencd) process.env.HOSTENCD = opts.hostencd;
	const bin = hostencdPath();
	const browser = await launchBrowser();
	const chromiumVersion = browser.version();
	const results = [];
	try {
		const modes = opts.modes.length ? opts.modes : [null];
		for (let round = 0; round < opts.rounds; round++)
		for (const render of opts.render) for (const nice of opts.nice) {
			for (const size of opts.sizes) for (const mode of modes) {
				opts.modeNow = mode;
				process.stderr.write(`bench/glass: ${mode ? `${mode.name}, ` : ''}${size}@${opts.fps}, ${render}, nice ${nice}, ${opts.frames} frames…\n`);
				const r = await measure(browser, size, { ...opts, niceNow: nice, renderNow: render });
				r.fpsTarget = opts.fps;
				r.nice = nice;
				r.renderMode = render;
				r.mode = mode?.name;
				results.push(r);
				process.stderr.write(`  p50 ${f1(r.p50)} ms, p95 ${f1(r.p95)} ms, p99 ${f1(r.p99)} ms, ` +
						     `${f1(r.fps)} fps painted, strip read errors ${r.errors}\n`);
			}
		}
	} finally {
		await browser.close();
	}
	const cmd = `node bench/glass/glass.mjs --hostencd ${path.relative(root, bin)} --frames ${opts.frames} --sizes ${opts.sizes.join(',')} --fps ${opts.fps}` +
		(opts.render.join() !== 'copy' ? ` --render ${opts.render.join(',')}` : '') +
		(opts.nice.join() !== '0' ? ` --nice ${opts.nice.join(',')}` : '') +
		opts.modes.map((m) => ` --mode '${[m.name, ...(m.args.length ? [m.args.join(' ')] : [])].join(':')}'`).join('') +
		(opts.rounds !== 1 ? ` --rounds ${opts.rounds}` : '') +
		(opts.write ? ` --write ${opts.write}` : '');
	const machine = `${os.cpus()[0]?.model || 'unknown CPU'}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`;
	const out = [
		'## Glass-to-glass',
		'',
		`Measured ${new Date().toISOString().slice(0, 10)} with \`${cmd}\` ` +
		`(Debian chromium ${chromiumVersion} headless with --disable-gpu, ${machine}).`,
		'',
		'Test pattern → hostencd (BGRx → NV12 → H.264) → WebSocket on loopback → the player page',
		'(web/static/) in bench mode. For every painted frame the page reads the code strip back from the',
		'canvas pixels it has just put there and records paint time − the capture time written in the',
		'strip, both this machine\'s wall clock. "Paint" is the canvas update in the',
		'requestAnimationFrame callback: headless chromium has no display, so compositing and scan-out',
		'on a real screen (typically one or two refresh intervals more) are not included.',
		`${opts.frames} live frames per size after ${WARMUP_S} s of warm-up; replayed GOP frames are not counted.`,
		'The strip carries whole milliseconds (rounded down), so each sample reads up to 1 ms high.',
		'"load" is the 1-minute load average at the end of the run: the machine was shared with other',
		'builds and tests, and the browser, the encoder and everything else compete for its CPUs.',
		'"nice" is the scheduling priority chromium and hostencd (all their threads) had while measuring:',
		'0 is normal; −10 puts them ahead of everything else on the machine, which shows what the',
		'pipeline itself does when it never waits for a CPU.',
		'"paint path": copy = VideoFrame.copyTo(RGBA) at decoder output, putImageData in the animation',
		'frame (what the page picks here); draw = ctx.drawImage(VideoFrame) in the animation frame.',
		'The last five columns split each frame using the header\'s capture time: until the page got the',
		'message (pattern render, convert, encode, send, loopback), decode() until the decoder\'s output,',
		'conversion to RGBA (VideoFrame.copyTo), waiting for the next animation frame, and the paint',
		'itself (putImageData; drawImage with --render draw).',
		'',
		table(results),
		'',
		'Server-side stages from hostencd\'s /stats at the end of each run (last 512 frames):',
		'',
		serverTable(results),
		'',
		...results.map(dominant),
		'',
	].join('\n');
	console.log(out);
	if (opts.write)
		writeSection(path.resolve(root, opts.write), out);
}

await main();
