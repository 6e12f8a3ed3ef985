// SPDX-License-Identifier: GPL-2.0-or-later
// The soak's browser viewer (bench/soak/browser.c starts it): the player
// page in headless chromium, watching one stream. Every 2 s it prints one
// JSON line: what the page decoded (window.hostenc) and what a wrapper
// around the page's WebSocket saw: video messages and gaps in their
// sequence numbers (per connection), and the close codes. A line "close"
// on stdin closes the page's socket (the page reconnects by itself);
// the end of stdin ends it.
//
// usage: node browser-viewer.mjs URL
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const harness = await import(path.join(here, '../../tests/browser/lib/harness.mjs'));
const url = process.argv[2];

// In the page, before its own script: count sequence gaps per socket.
function watchSockets() {
	const S = window.__soak = { messages: 0, gaps: 0, lastGap: null, sockets: 0, closes: [] };
	const Native = window.WebSocket;
	window.WebSocket = class extends Native {
		constructor(...args) {
			super(...args);
			let last = null;
			S.sockets++;
			S.ws = this;
			this.addEventListener('message', (e) => {
				if (!(e.data instanceof ArrayBuffer) || e.data.byteLength <= 24) return;
				const dv = new DataView(e.data);
				if (dv.getUint8(0) !== 1) return;
				const seq = dv.getUint32(16, true);
				S.messages++;
				if (last !== null && seq !== ((last + 1) >>> 0)) {
					S.gaps += (seq - last - 1) >>> 0;
					S.lastGap = [last, seq];
				}
				last = seq;
			});
			this.addEventListener('close', (e) => S.closes.push(e.code));
		}
	};
}

const browser = await harness.launchBrowser();
const page = await harness.openPage(browser, {
	viewport: { width: 800, height: 500 },
	initScript: { fn: watchSockets, arg: null },
});
await page.goto(url);

let ending = false;
async function report() {
	const st = await page.evaluate(() => {
		const h = window.hostenc || {};
		const S = window.__soak || {};
		return {
			decoded: h.decoded || 0, received: h.received || 0, painted: h.painted || 0,
			decoderErrors: h.decoderErrors || 0, connects: h.connects || 0,
			skipped: h.stats ? h.stats.skipped : 0, state: h.state || null,
			messages: S.messages || 0, gaps: S.gaps || 0, lastGap: S.lastGap,
			closes: S.closes || [],
		};
	});
	process.stdout.write(JSON.stringify(st) + '\n');
}
const timer = setInterval(() => { report().catch(() => {}); }, 2000);

async function end() {
	if (ending) return;
	ending = true;
	clearInterval(timer);
	await report().catch(() => {});
	await browser.close().catch(() => {});
	process.exit(0);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
	if (line.trim() === 'close')
		page.evaluate(() => window.__soak.ws && window.__soak.ws.close(1000)).catch(() => {});
}).on('close', end);
process.on('SIGTERM', end);
