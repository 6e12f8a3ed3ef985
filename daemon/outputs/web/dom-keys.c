/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KeyboardEvent.code and MouseEvent.button to evdev codes. */
#include "dom-keys.h"

#include <stdlib.h>
#include <string.h>

#include "input-keys.h"

struct dom_key {
	const char *code;
	uint16_t evdev;
};

/* Sorted by strcmp() on .code (bsearch needs it; the unit test checks it).
 *
 * Choices where the spec leaves room:
 * - PrintScreen is KEY_SYSRQ: Linux reports the Print Screen / SysRq key
 *   as KEY_SYSRQ (KEY_PRINT is a different, rarely seen key).
 * - ContextMenu is KEY_COMPOSE, the code Linux gives the PC Menu key
 *   (KEY_MENU is a different key).
 * - Lang1/Lang2 (Hangul/Kana, Hanja/Eisu) are KEY_HANGEUL/KEY_HANJA;
 *   Lang3/4/5 are KEY_KATAKANA/KEY_HIRAGANA/KEY_ZENKAKUHANKAKU.
 * - LaunchApp1 is KEY_COMPUTER and MediaSelect is KEY_MEDIA: the keys
 *   with those legends on PC keyboards, which VMs know as PS/2 scancodes.
 * Deliberate aliases (same evdev code as the spec's name):
 * - OSLeft/OSRight: what Firefox before version 118 sent for MetaLeft and
 *   MetaRight.
 * - VolumeDown/VolumeMute/VolumeUp: older Firefox's names for
 *   AudioVolumeDown/AudioVolumeMute/AudioVolumeUp.
 * Left out on purpose: Fn and FnLock (the keyboard handles them, no evdev
 * code), Power, Sleep, WakeUp and Eject (system keys a viewer should not
 * press on the VM). */
static const struct dom_key dom_keys[] = {
	{ "AltLeft", KEY_LEFTALT },
	{ "AltRight", KEY_RIGHTALT },
	{ "ArrowDown", KEY_DOWN },
	{ "ArrowLeft", KEY_LEFT },
	{ "ArrowRight", KEY_RIGHT },
	{ "ArrowUp", KEY_UP },
	{ "AudioVolumeDown", KEY_VOLUMEDOWN },
	{ "AudioVolumeMute", KEY_MUTE },
	{ "AudioVolumeUp", KEY_VOLUMEUP },
	{ "Backquote", KEY_GRAVE },
	{ "Backslash", KEY_BACKSLASH },
	{ "Backspace", KEY_BACKSPACE },
	{ "BracketLeft", KEY_LEFTBRACE },
	{ "BracketRight", KEY_RIGHTBRACE },
	{ "BrowserBack", KEY_BACK },
	{ "BrowserFavorites", KEY_BOOKMARKS },
	{ "BrowserForward", KEY_FORWARD },
	{ "BrowserHome", KEY_HOMEPAGE },
	{ "BrowserRefresh", KEY_REFRESH },
	{ "BrowserSearch", KEY_SEARCH },
	{ "BrowserStop", KEY_STOP },
	{ "CapsLock", KEY_CAPSLOCK },
	{ "Comma", KEY_COMMA },
	{ "ContextMenu", KEY_COMPOSE },
	{ "ControlLeft", KEY_LEFTCTRL },
	{ "ControlRight", KEY_RIGHTCTRL },
	{ "Convert", KEY_HENKAN },
	{ "Delete", KEY_DELETE },
	{ "Digit0", KEY_0 },
	{ "Digit1", KEY_1 },
	{ "Digit2", KEY_2 },
	{ "Digit3", KEY_3 },
	{ "Digit4", KEY_4 },
	{ "Digit5", KEY_5 },
	{ "Digit6", KEY_6 },
	{ "Digit7", KEY_7 },
	{ "Digit8", KEY_8 },
	{ "Digit9", KEY_9 },
	{ "End", KEY_END },
	{ "Enter", KEY_ENTER },
	{ "Equal", KEY_EQUAL },
	{ "Escape", KEY_ESC },
	{ "F1", KEY_F1 },
	{ "F10", KEY_F10 },
	{ "F11", KEY_F11 },
	{ "F12", KEY_F12 },
	{ "F13", KEY_F13 },
	{ "F14", KEY_F14 },
	{ "F15", KEY_F15 },
	{ "F16", KEY_F16 },
	{ "F17", KEY_F17 },
	{ "F18", KEY_F18 },
	{ "F19", KEY_F19 },
	{ "F2", KEY_F2 },
	{ "F20", KEY_F20 },
	{ "F21", KEY_F21 },
	{ "F22", KEY_F22 },
	{ "F23", KEY_F23 },
	{ "F24", KEY_F24 },
	{ "F3", KEY_F3 },
	{ "F4", KEY_F4 },
	{ "F5", KEY_F5 },
	{ "F6", KEY_F6 },
	{ "F7", KEY_F7 },
	{ "F8", KEY_F8 },
	{ "F9", KEY_F9 },
	{ "Home", KEY_HOME },
	{ "Insert", KEY_INSERT },
	{ "IntlBackslash", KEY_102ND },
	{ "IntlRo", KEY_RO },
	{ "IntlYen", KEY_YEN },
	{ "KanaMode", KEY_KATAKANAHIRAGANA },
	{ "KeyA", KEY_A },
	{ "KeyB", KEY_B },
	{ "KeyC", KEY_C },
	{ "KeyD", KEY_D },
	{ "KeyE", KEY_E },
	{ "KeyF", KEY_F },
	{ "KeyG", KEY_G },
	{ "KeyH", KEY_H },
	{ "KeyI", KEY_I },
	{ "KeyJ", KEY_J },
	{ "KeyK", KEY_K },
	{ "KeyL", KEY_L },
	{ "KeyM", KEY_M },
	{ "KeyN", KEY_N },
	{ "KeyO", KEY_O },
	{ "KeyP", KEY_P },
	{ "KeyQ", KEY_Q },
	{ "KeyR", KEY_R },
	{ "KeyS", KEY_S },
	{ "KeyT", KEY_T },
	{ "KeyU", KEY_U },
	{ "KeyV", KEY_V },
	{ "KeyW", KEY_W },
	{ "KeyX", KEY_X },
	{ "KeyY", KEY_Y },
	{ "KeyZ", KEY_Z },
	{ "Lang1", KEY_HANGEUL },
	{ "Lang2", KEY_HANJA },
	{ "Lang3", KEY_KATAKANA },
	{ "Lang4", KEY_HIRAGANA },
	{ "Lang5", KEY_ZENKAKUHANKAKU },
	{ "LaunchApp1", KEY_COMPUTER },
	{ "LaunchApp2", KEY_CALC },
	{ "LaunchMail", KEY_MAIL },
	{ "MediaPlayPause", KEY_PLAYPAUSE },
	{ "MediaSelect", KEY_MEDIA },
	{ "MediaStop", KEY_STOPCD },
	{ "MediaTrackNext", KEY_NEXTSONG },
	{ "MediaTrackPrevious", KEY_PREVIOUSSONG },
	{ "MetaLeft", KEY_LEFTMETA },
	{ "MetaRight", KEY_RIGHTMETA },
	{ "Minus", KEY_MINUS },
	{ "NonConvert", KEY_MUHENKAN },
	{ "NumLock", KEY_NUMLOCK },
	{ "Numpad0", KEY_KP0 },
	{ "Numpad1", KEY_KP1 },
	{ "Numpad2", KEY_KP2 },
	{ "Numpad3", KEY_KP3 },
	{ "Numpad4", KEY_KP4 },
	{ "Numpad5", KEY_KP5 },
	{ "Numpad6", KEY_KP6 },
	{ "Numpad7", KEY_KP7 },
	{ "Numpad8", KEY_KP8 },
	{ "Numpad9", KEY_KP9 },
	{ "NumpadAdd", KEY_KPPLUS },
	{ "NumpadComma", KEY_KPCOMMA },
	{ "NumpadDecimal", KEY_KPDOT },
	{ "NumpadDivide", KEY_KPSLASH },
	{ "NumpadEnter", KEY_KPENTER },
	{ "NumpadEqual", KEY_KPEQUAL },
	{ "NumpadMultiply", KEY_KPASTERISK },
	{ "NumpadSubtract", KEY_KPMINUS },
	{ "OSLeft", KEY_LEFTMETA },       /* alias of MetaLeft */
	{ "OSRight", KEY_RIGHTMETA },     /* alias of MetaRight */
	{ "PageDown", KEY_PAGEDOWN },
	{ "PageUp", KEY_PAGEUP },
	{ "Pause", KEY_PAUSE },
	{ "Period", KEY_DOT },
	{ "PrintScreen", KEY_SYSRQ },
	{ "Quote", KEY_APOSTROPHE },
	{ "ScrollLock", KEY_SCROLLLOCK },
	{ "Semicolon", KEY_SEMICOLON },
	{ "ShiftLeft", KEY_LEFTSHIFT },
	{ "ShiftRight", KEY_RIGHTSHIFT },
	{ "Slash", KEY_SLASH },
	{ "Space", KEY_SPACE },
	{ "Tab", KEY_TAB },
	{ "VolumeDown", KEY_VOLUMEDOWN }, /* alias of AudioVolumeDown */
	{ "VolumeMute", KEY_MUTE },       /* alias of AudioVolumeMute */
	{ "VolumeUp", KEY_VOLUMEUP },     /* alias of AudioVolumeUp */
};

#define N_DOM_KEYS (sizeof(dom_keys) / sizeof(dom_keys[0]))

static int cmp_dom_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dom_key *)elem)->code);
}

uint16_t he_dom_code_to_evdev(const char *code)
{
	const struct dom_key *k;

	/* memchr() stops at the first NUL (C11 7.24.5.1), so a short string is
	 * not read past its end. */
	if (!code || !memchr(code, '\0', HE_DOM_CODE_MAX + 1))
		return 0;
	k = bsearch(code, dom_keys, N_DOM_KEYS, sizeof(dom_keys[0]), cmp_dom_key);
	return k ? k->evdev : 0;
}

uint16_t he_dom_button_to_evdev(int dom_button)
{
	switch (dom_button) {
	case 0:
		return BTN_LEFT;
	case 1:
		return BTN_MIDDLE;
	case 2:
		return BTN_RIGHT;
	case 3:
		return BTN_SIDE;
	case 4:
		return BTN_EXTRA;
	default:
		return 0;
	}
}

size_t he_dom_code_count(void)
{
	return N_DOM_KEYS;
}

const char *he_dom_code_at(size_t i, uint16_t *evdev)
{
	if (i >= N_DOM_KEYS)
		return NULL;
	if (evdev)
		*evdev = dom_keys[i].evdev;
	return dom_keys[i].code;
}
