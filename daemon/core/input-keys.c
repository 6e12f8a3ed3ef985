/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Labels for the evdev key codes hostencd accepts, and the pointer buttons. */
#include "input-keys.h"

#include <stddef.h>

/* Indexed by evdev code; a NULL slot is a key we do not accept. Every key
 * the web page's code table can produce has a label here (the unit test
 * checks this). Power, Sleep and WakeUp are left out on purpose: a viewer
 * should not be able to press the VM's power button through the keyboard. */
static const char *const key_names[HE_INPUT_KEY_MAX + 1] = {
	[KEY_ESC] = "Esc",
	[KEY_1] = "1",
	[KEY_2] = "2",
	[KEY_3] = "3",
	[KEY_4] = "4",
	[KEY_5] = "5",
	[KEY_6] = "6",
	[KEY_7] = "7",
	[KEY_8] = "8",
	[KEY_9] = "9",
	[KEY_0] = "0",
	[KEY_MINUS] = "-",
	[KEY_EQUAL] = "=",
	[KEY_BACKSPACE] = "Backspace",
	[KEY_TAB] = "Tab",
	[KEY_Q] = "Q",
	[KEY_W] = "W",
	[KEY_E] = "E",
	[KEY_R] = "R",
	[KEY_T] = "T",
	[KEY_Y] = "Y",
	[KEY_U] = "U",
	[KEY_I] = "I",
	[KEY_O] = "O",
	[KEY_P] = "P",
	[KEY_LEFTBRACE] = "[",
	[KEY_RIGHTBRACE] = "]",
	[KEY_ENTER] = "Enter",
	[KEY_LEFTCTRL] = "Ctrl",
	[KEY_A] = "A",
	[KEY_S] = "S",
	[KEY_D] = "D",
	[KEY_F] = "F",
	[KEY_G] = "G",
	[KEY_H] = "H",
	[KEY_J] = "J",
	[KEY_K] = "K",
	[KEY_L] = "L",
	[KEY_SEMICOLON] = ";",
	[KEY_APOSTROPHE] = "'",
	[KEY_GRAVE] = "`",
	[KEY_LEFTSHIFT] = "Shift",
	[KEY_BACKSLASH] = "\\",
	[KEY_Z] = "Z",
	[KEY_X] = "X",
	[KEY_C] = "C",
	[KEY_V] = "V",
	[KEY_B] = "B",
	[KEY_N] = "N",
	[KEY_M] = "M",
	[KEY_COMMA] = ",",
	[KEY_DOT] = ".",
	[KEY_SLASH] = "/",
	[KEY_RIGHTSHIFT] = "Right Shift",
	[KEY_KPASTERISK] = "KP *",
	[KEY_LEFTALT] = "Alt",
	[KEY_SPACE] = "Space",
	[KEY_CAPSLOCK] = "Caps Lock",
	[KEY_F1] = "F1",
	[KEY_F2] = "F2",
	[KEY_F3] = "F3",
	[KEY_F4] = "F4",
	[KEY_F5] = "F5",
	[KEY_F6] = "F6",
	[KEY_F7] = "F7",
	[KEY_F8] = "F8",
	[KEY_F9] = "F9",
	[KEY_F10] = "F10",
	[KEY_NUMLOCK] = "Num Lock",
	[KEY_SCROLLLOCK] = "Scroll Lock",
	[KEY_KP7] = "KP 7",
	[KEY_KP8] = "KP 8",
	[KEY_KP9] = "KP 9",
	[KEY_KPMINUS] = "KP -",
	[KEY_KP4] = "KP 4",
	[KEY_KP5] = "KP 5",
	[KEY_KP6] = "KP 6",
	[KEY_KPPLUS] = "KP +",
	[KEY_KP1] = "KP 1",
	[KEY_KP2] = "KP 2",
	[KEY_KP3] = "KP 3",
	[KEY_KP0] = "KP 0",
	[KEY_KPDOT] = "KP .",
	[KEY_ZENKAKUHANKAKU] = "Zenkaku/Hankaku",
	[KEY_102ND] = "ISO \\",
	[KEY_F11] = "F11",
	[KEY_F12] = "F12",
	[KEY_RO] = "Ro",
	[KEY_KATAKANA] = "Katakana",
	[KEY_HIRAGANA] = "Hiragana",
	[KEY_HENKAN] = "Henkan",
	[KEY_KATAKANAHIRAGANA] = "Kana",
	[KEY_MUHENKAN] = "Muhenkan",
	[KEY_KPENTER] = "KP Enter",
	[KEY_RIGHTCTRL] = "Right Ctrl",
	[KEY_KPSLASH] = "KP /",
	[KEY_SYSRQ] = "Print Screen",
	[KEY_RIGHTALT] = "Right Alt",
	[KEY_HOME] = "Home",
	[KEY_UP] = "Up",
	[KEY_PAGEUP] = "Page Up",
	[KEY_LEFT] = "Left",
	[KEY_RIGHT] = "Right",
	[KEY_END] = "End",
	[KEY_DOWN] = "Down",
	[KEY_PAGEDOWN] = "Page Down",
	[KEY_INSERT] = "Insert",
	[KEY_DELETE] = "Delete",
	[KEY_MUTE] = "Mute",
	[KEY_VOLUMEDOWN] = "Volume Down",
	[KEY_VOLUMEUP] = "Volume Up",
	[KEY_KPEQUAL] = "KP =",
	[KEY_PAUSE] = "Pause",
	[KEY_KPCOMMA] = "KP ,",
	[KEY_HANGEUL] = "Hangul",
	[KEY_HANJA] = "Hanja",
	[KEY_YEN] = "Yen",
	[KEY_LEFTMETA] = "Meta",
	[KEY_RIGHTMETA] = "Right Meta",
	[KEY_COMPOSE] = "Menu",
	[KEY_STOP] = "Browser Stop",
	[KEY_CALC] = "Calculator",
	[KEY_MAIL] = "Mail",
	[KEY_BOOKMARKS] = "Favorites",
	[KEY_COMPUTER] = "Computer",
	[KEY_BACK] = "Browser Back",
	[KEY_FORWARD] = "Browser Forward",
	[KEY_NEXTSONG] = "Next Track",
	[KEY_PLAYPAUSE] = "Play/Pause",
	[KEY_PREVIOUSSONG] = "Previous Track",
	[KEY_STOPCD] = "Media Stop",
	[KEY_HOMEPAGE] = "Browser Home",
	[KEY_REFRESH] = "Refresh",
	[KEY_F13] = "F13",
	[KEY_F14] = "F14",
	[KEY_F15] = "F15",
	[KEY_F16] = "F16",
	[KEY_F17] = "F17",
	[KEY_F18] = "F18",
	[KEY_F19] = "F19",
	[KEY_F20] = "F20",
	[KEY_F21] = "F21",
	[KEY_F22] = "F22",
	[KEY_F23] = "F23",
	[KEY_F24] = "F24",
	[KEY_SEARCH] = "Search",
	[KEY_MEDIA] = "Media",
};

const char *he_input_key_name(uint16_t evdev)
{
	if (evdev < HE_INPUT_KEY_MIN || evdev > HE_INPUT_KEY_MAX)
		return NULL;
	return key_names[evdev];
}

bool he_input_key_valid(uint16_t evdev)
{
	return he_input_key_name(evdev) != NULL;
}

/* BTN_LEFT..BTN_EXTRA are consecutive; indexed by btn - BTN_LEFT. */
static const char *const button_names[] = {
	[BTN_LEFT - BTN_LEFT] = "Left button",
	[BTN_RIGHT - BTN_LEFT] = "Right button",
	[BTN_MIDDLE - BTN_LEFT] = "Middle button",
	[BTN_SIDE - BTN_LEFT] = "Back button",
	[BTN_EXTRA - BTN_LEFT] = "Forward button",
};

const char *he_input_button_name(uint16_t btn)
{
	size_t n = sizeof(button_names) / sizeof(button_names[0]);

	if (btn < BTN_LEFT || (size_t)(btn - BTN_LEFT) >= n)
		return NULL;
	return button_names[btn - BTN_LEFT];
}

bool he_input_button_valid(uint16_t btn)
{
	return he_input_button_name(btn) != NULL;
}
