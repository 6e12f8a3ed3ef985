// SPDX-License-Identifier: LGPL-2.1-or-later
// The test pattern's documented geometry (daemon/sources/pattern/pattern.h), written
// again here independently of the page's reader so that the tests check the
// page against the header, not against itself.

export const COLOURS = {
	background: [32, 96, 176],
	title: [208, 112, 32],
	body: [232, 232, 224],
	panel: [40, 40, 48],
	clickIdle: [80, 80, 80],
	click: [240, 32, 208],
};

/** u, ox, oy for a W x H frame (pattern.h "Layout"). */
export function layout(w, h) {
	const u = Math.max(1, Math.min(Math.floor(w / 64), Math.floor(h / 36)));
	return { u, ox: Math.floor((w - 64 * u) / 2), oy: Math.floor((h - 36 * u) / 2) };
}

/** Pixel rectangle of grid rectangle (gx, gy, gw, gh). */
export function gridRect(w, h, gx, gy, gw, gh) {
	const { u, ox, oy } = layout(w, h);
	return { x: ox + gx * u, y: oy + gy * u, w: gw * u, h: gh * u };
}

/** The five probes of pattern.h with their expected colours. */
export function probes(w, h, clicked = false) {
	return [
		{ name: 'background', rect: gridRect(w, h, 48, 24, 10, 4), rgb: COLOURS.background },
		{ name: 'title', rect: gridRect(w, h, 32, 6, 8, 4), rgb: COLOURS.title },
		{ name: 'body', rect: gridRect(w, h, 32, 15, 8, 8), rgb: COLOURS.body },
		{ name: 'panel', rect: gridRect(w, h, 42, 30, 6, 4), rgb: COLOURS.panel },
		{ name: 'click', rect: gridRect(w, h, 52, 30, 6, 4),
		  rgb: clicked ? COLOURS.click : COLOURS.clickIdle },
	];
}

/** The code strip's pixel rectangle, grid (2, 30, 36, 5). */
export function stripRect(w, h) {
	return gridRect(w, h, 2, 30, 36, 5);
}

function crc8(bytes) {
	let crc = 0;
	for (const b of bytes) {
		crc ^= b;
		for (let i = 0; i < 8; i++)
			crc = (crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1) & 0xff;
	}
	return crc;
}

/**
 * Decode the code strip of a w x h pattern picture from RGBA pixels px =
 * {x, y, w, h, data} (a rectangle of the picture that covers the strip, such
 * as stripRect(w, h) or the whole picture). Throws on a guard or CRC mismatch.
 */
export function readCode(px, w, h) {
	const { u, ox, oy } = layout(w, h);
	const rgba = px.data;
	const side = Math.max(1, Math.floor(u / 2));
	const dark = (r, c) => {
		const x = ox + (2 + c) * u + Math.floor(u / 4);
		const y = oy + (30 + r) * u + Math.floor(u / 4);
		let sum = 0;
		for (let j = 0; j < side; j++)
			for (let i = 0; i < side; i++) {
				const p = ((y + j - px.y) * px.w + x + i - px.x) * 4;
				sum += Math.floor((77 * rgba[p] + 150 * rgba[p + 1] + 29 * rgba[p + 2]) / 256);
			}
		return sum / (side * side) < 128;
	};
	for (let c = 0; c < 36; c++)
		if (dark(0, c) !== (c % 2 === 0))
			throw new Error(`code strip: clock row block ${c} wrong`);
	const words = [];
	for (let r = 1; r <= 4; r++) {
		if (!dark(r, 0) || dark(r, 1) || dark(r, 34) || !dark(r, 35))
			throw new Error(`code strip: guard blocks of row ${r} wrong`);
		let v = 0;
		for (let c = 2; c <= 33; c++)
			v = v * 2 + (dark(r, c) ? 1 : 0);
		words.push(v);
	}
	const bytes = words.flatMap((v) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
	if (crc8(bytes.slice(0, 15)) !== bytes[15])
		throw new Error('code strip: CRC mismatch');
	return {
		frame: words[0],
		timeMs: words[1],
		pointerX: words[2] >>> 16,
		pointerY: words[2] & 0xffff,
		keyCode: bytes[12],
		keyCount: bytes[13],
		clickCount: bytes[14],
	};
}
