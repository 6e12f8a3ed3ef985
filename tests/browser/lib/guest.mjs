// SPDX-License-Identifier: LGPL-2.1-or-later
// A guest for the browser tests: an HXFR client (docs/protocol.md) over TCP
// that says HELLO with a stream name and sends inline BGRx frames of one
// colour, a few a second, with at most two in flight. hostencd lists its
// stream as guest/NAME. Written from the protocol document, independently
// of the C library, so that the tests check hostencd against the document.
import net from 'node:net';

const MAGIC = 0x52465848;
const HEADER = 12;
const T_FRAME_REQUEST = 0x01;
const T_FRAME_RESPONSE = 0x02;
const T_HELLO = 0x40;
const T_HELLO_RESP = 0x41;
const T_ERROR = 0xff;
const F_PIXEL_DATA = 1;
const FMT_XR24 = 0x34325258; // B, G, R, X in memory
const VERSION = (1 << 16) | 1;
const MAX_INFLIGHT = 2;

function message(type, flags, payload) {
	const h = Buffer.alloc(HEADER);
	h.writeUInt32LE(MAGIC, 0);
	h.writeUInt8(type, 4);
	h.writeUInt8(flags, 5);
	h.writeUInt16LE(0, 6);
	h.writeUInt32LE(payload.length, 8);
	return Buffer.concat([h, payload]);
}

function hello(name) {
	const p = Buffer.alloc(48);
	p.writeUInt32LE(VERSION, 0);
	p.writeUInt32LE(1, 4);            // frame paths: inline
	p.writeUInt32LE(MAX_INFLIGHT, 8);
	p.writeUInt32LE(0, 12);           // flags: no input
	p.write(name, 16, 31, 'latin1');  // char[32], NUL-padded
	return message(T_HELLO, 0, p);
}

function frameRequest(w, h, rgb, pts) {
	const stride = w * 4;
	const p = Buffer.alloc(44 + stride * h);
	p.writeUInt32LE(0, 0);
	p.writeUInt32LE(w, 4);
	p.writeUInt32LE(h, 8);
	p.writeUInt32LE(FMT_XR24, 12);
	p.writeUInt32LE(stride, 16);
	p.writeBigInt64LE(BigInt(pts), 20);
	p.writeBigInt64LE(100000000n, 28);
	for (let i = 44; i < p.length; i += 4) {
		p[i] = rgb[2];
		p[i + 1] = rgb[1];
		p[i + 2] = rgb[0];
		p[i + 3] = 255;
	}
	return message(T_FRAME_REQUEST, F_PIXEL_DATA, p);
}

/**
 * Connect to hostencd's HXFR port and stream a w x h picture of colour rgb
 * ([r, g, b]) as stream guest/NAME at fps frames a second. Resolves once
 * HELLO_RESP arrived. stop() ends the connection (as a guest that exits).
 */
export function startGuest({ port, host = '127.0.0.1', name, width = 320, height = 180,
			     rgb = [0, 160, 64], fps = 10 }) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ port, host });
		const g = {
			name, responses: 0, dropped: 0, errors: [], closed: false,
			setColour(c) { rgb = c; },
			/** Stop sending frames (a screen that does not change), or send again. */
			pause() { clearInterval(timer); timer = 0; },
			resume() { if (!timer) timer = setInterval(send, Math.round(1000 / fps)); },
			stop() {
				clearInterval(timer);
				g.closed = true;
				return new Promise((r) => { sock.once('close', r); sock.end(); });
			},
		};
		let buf = Buffer.alloc(0);
		let inflight = 0, pts = 0, timer = 0, ready = false;
		const send = () => {
			if (!ready || g.closed || inflight >= MAX_INFLIGHT)
				return;
			inflight++;
			sock.write(frameRequest(width, height, rgb, pts));
			pts += 100000000;
		};
		sock.on('connect', () => sock.write(hello(name)));
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= HEADER) {
				if (buf.readUInt32LE(0) !== MAGIC) {
					reject(new Error('guest: bad magic from hostencd'));
					sock.destroy();
					return;
				}
				const size = buf.readUInt32LE(8);
				if (buf.length < HEADER + size)
					break;
				const type = buf.readUInt8(4), flags = buf.readUInt8(5);
				const payload = buf.subarray(HEADER, HEADER + size);
				buf = buf.subarray(HEADER + size);
				if (type === T_HELLO_RESP && !ready) {
					ready = true;
					timer = setInterval(send, Math.round(1000 / fps));
					send();
					resolve(g);
				} else if (type === T_FRAME_RESPONSE) {
					inflight = Math.max(0, inflight - 1);
					g.responses++;
					if (flags & 2)
						g.dropped++;
				} else if (type === T_ERROR) {
					g.errors.push(payload.toString('latin1', 4).replace(/\0.*$/s, ''));
					if (flags === T_FRAME_REQUEST)
						inflight = Math.max(0, inflight - 1);
				}
			}
		});
		sock.on('error', (e) => { if (!ready) reject(e); });
		sock.on('close', () => { clearInterval(timer); g.closed = true; });
	});
}
