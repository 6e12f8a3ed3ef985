// SPDX-License-Identifier: LGPL-2.1-or-later
// hostenc: the machines and their screens (docs/web.md, "The page").
//
// Every REFRESH_MS while the page is visible: /sources (the list), and for
// each screen a small picture from /thumb. A screen links to the player by
// its stable name (?source=NAME). The token of this page's URL goes with
// every request and every link.

const REFRESH_MS = 3000;
const THUMB_W = 320;

const params = new URLSearchParams(location.search);
const token = params.get('token');

const $ = (id) => document.getElementById(id);
const machinesEl = $('machines');
const statusEl = $('status');
const messageEl = $('message');

// What the tests read (and anyone debugging).
const hook = {
	state: 'starting', // starting|listing|empty|unauthorized|error|hidden
	sources: [],       // names, in the order shown
	refreshes: 0,      // /sources answered
	thumbs: {},        // name -> {loads, status}
};
window.hostencList = hook;

/** @p path (relative to this page) with the token. */
function url(path, query = {}) {
	const u = new URL(path, location.href);
	u.search = '';
	if (token) u.searchParams.set('token', token);
	for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
	return u;
}

/** The player of screen @p name ('/' left as it is: "?source=vm1/0"). */
function playerHref(name) {
	const u = url('./', { source: name });
	return u.origin + u.pathname + u.search.replace(/%2F/gi, '/');
}

function setState(state, text) {
	hook.state = state;
	statusEl.dataset.state = state;
	statusEl.textContent = text;
}

function showMessage(text) {
	messageEl.textContent = text;
	messageEl.hidden = !text;
}

// ---------------------------------------------------------------------------
// Cards: one per screen, kept across refreshes (so their pictures stay).
// ---------------------------------------------------------------------------

const cards = new Map(); // name -> {li, img, none, name, desc, meta, busy, objectUrl}

/** The machine a screen belongs to: its name up to the first '/'. */
function machineOf(name) {
	const i = name.indexOf('/');
	return i > 0 ? name.slice(0, i) : name;
}

function makeCard(name) {
	const li = document.createElement('li');
	li.className = 'screen';
	li.dataset.name = name;
	const a = document.createElement('a');
	a.href = playerHref(name);
	const thumb = document.createElement('span');
	thumb.className = 'thumb';
	const img = document.createElement('img');
	img.alt = `Picture of ${name}`;
	const none = document.createElement('span');
	none.className = 'none';
	none.textContent = 'no picture yet';
	thumb.append(img, none);
	const nameEl = document.createElement('span');
	nameEl.className = 'name';
	nameEl.textContent = name;
	const desc = document.createElement('span');
	desc.className = 'desc';
	const meta = document.createElement('span');
	meta.className = 'meta';
	a.append(thumb, nameEl, desc, meta);
	li.append(a);
	const card = { li, img, none, desc, meta, busy: false, objectUrl: null };
	hook.thumbs[name] = { loads: 0, status: 0 };
	return card;
}

function describe(card, s) {
	card.desc.textContent = s.title && s.title !== s.name ? s.title : '';
	const size = s.width && s.height ? `${s.width}×${s.height}` : 'size not known yet';
	card.meta.textContent = `${size} · ${s.input ? 'takes keyboard and mouse' : 'view only'}`;
}

function dropCard(name) {
	const card = cards.get(name);
	if (card.objectUrl) URL.revokeObjectURL(card.objectUrl);
	cards.delete(name);
	delete hook.thumbs[name];
}

/** Lay the cards out by machine, in the order of /sources (by id). */
function render(sources) {
	const groups = new Map();
	for (const s of sources) {
		let card = cards.get(s.name);
		if (!card) {
			card = makeCard(s.name);
			cards.set(s.name, card);
		}
		describe(card, s);
		const m = machineOf(s.name);
		if (!groups.has(m)) groups.set(m, []);
		groups.get(m).push(card.li);
	}
	const names = new Set(sources.map((s) => s.name));
	for (const name of [...cards.keys()])
		if (!names.has(name)) dropCard(name);
	const sections = [];
	for (const [machine, items] of groups) {
		const section = document.createElement('section');
		section.className = 'machine';
		section.dataset.machine = machine;
		const h = document.createElement('h2');
		h.textContent = machine;
		const ul = document.createElement('ul');
		ul.className = 'screens';
		ul.append(...items); // moves the cards: their pictures stay
		section.append(h, ul);
		sections.push(section);
	}
	machinesEl.replaceChildren(...sections);
	hook.sources = sources.map((s) => s.name);
}

// ---------------------------------------------------------------------------
// Thumbnails
// ---------------------------------------------------------------------------

async function refreshThumb(name) {
	const card = cards.get(name);
	if (!card || card.busy) return;
	card.busy = true;
	try {
		const r = await fetch(url('thumb', { source: name, w: THUMB_W }), { cache: 'no-store' });
		const t = hook.thumbs[name];
		if (t) t.status = r.status;
		// 503: no picture yet (the old one stays); 404: gone (the list follows)
		if (!r.ok || cards.get(name) !== card) return;
		const blob = await r.blob();
		const objectUrl = URL.createObjectURL(blob);
		await new Promise((resolve) => {
			card.img.onload = card.img.onerror = resolve;
			card.img.src = objectUrl;
		});
		if (card.objectUrl) URL.revokeObjectURL(card.objectUrl);
		card.objectUrl = objectUrl;
		card.none.hidden = true;
		if (t) t.loads++;
	} catch {
		// the server is away: the list says so
	} finally {
		card.busy = false;
	}
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

let timer = 0;
let stopped = false;

async function refresh() {
	let r;
	try {
		r = await fetch(url('sources'), { cache: 'no-store' });
	} catch {
		setState('error', 'the server is unreachable: retrying');
		return;
	}
	if (r.status === 401) {
		stopped = true;
		setState('unauthorized', 'access denied');
		showMessage('Access denied: this page needs the right token. Open it with ?token=YOUR_TOKEN.');
		return;
	}
	if (!r.ok) {
		setState('error', `the server answered ${r.status}: retrying`);
		return;
	}
	const sources = (await r.json()).filter((s) => s && typeof s.name === 'string');
	hook.refreshes++;
	render(sources);
	if (!sources.length) {
		setState('empty', 'no screens');
		showMessage('No screens yet: start a VM, or a guest that sends its screen.');
	} else {
		setState('listing', `${sources.length} screen${sources.length === 1 ? '' : 's'}`);
		showMessage('');
	}
	for (const s of sources) refreshThumb(s.name);
}

function schedule() {
	clearTimeout(timer);
	timer = 0;
	if (stopped) return;
	if (document.hidden) {
		setState('hidden', 'paused while the tab is hidden');
		return;
	}
	timer = setTimeout(async () => {
		await refresh();
		schedule();
	}, REFRESH_MS);
}

document.addEventListener('visibilitychange', async () => {
	if (document.hidden || stopped) {
		schedule();
		return;
	}
	await refresh();
	schedule();
});

await refresh();
schedule();
