/* SPDX-License-Identifier: GPL-2.0-or-later */
/* evdev key and button codes to QEMU qnums and InputButton values. */
#include "qemu-keys.h"

#include "input-keys.h"

/* Indexed by evdev code; 0 = no qnum. Values are scancode set 1 make codes,
 * E0-prefixed ones written as 0x80 | code (see qemu-keys.h). */
static const uint8_t qnum_by_evdev[HE_INPUT_KEY_MAX + 1] = {
	/* Main block, in set 1 order. */
	[KEY_ESC] = 0x01,
	[KEY_1] = 0x02,
	[KEY_2] = 0x03,
	[KEY_3] = 0x04,
	[KEY_4] = 0x05,
	[KEY_5] = 0x06,
	[KEY_6] = 0x07,
	[KEY_7] = 0x08,
	[KEY_8] = 0x09,
	[KEY_9] = 0x0a,
	[KEY_0] = 0x0b,
	[KEY_MINUS] = 0x0c,
	[KEY_EQUAL] = 0x0d,
	[KEY_BACKSPACE] = 0x0e,
	[KEY_TAB] = 0x0f,
	[KEY_Q] = 0x10,
	[KEY_W] = 0x11,
	[KEY_E] = 0x12,
	[KEY_R] = 0x13,
	[KEY_T] = 0x14,
	[KEY_Y] = 0x15,
	[KEY_U] = 0x16,
	[KEY_I] = 0x17,
	[KEY_O] = 0x18,
	[KEY_P] = 0x19,
	[KEY_LEFTBRACE] = 0x1a,
	[KEY_RIGHTBRACE] = 0x1b,
	[KEY_ENTER] = 0x1c,
	[KEY_LEFTCTRL] = 0x1d,
	[KEY_A] = 0x1e,
	[KEY_S] = 0x1f,
	[KEY_D] = 0x20,
	[KEY_F] = 0x21,
	[KEY_G] = 0x22,
	[KEY_H] = 0x23,
	[KEY_J] = 0x24,
	[KEY_K] = 0x25,
	[KEY_L] = 0x26,
	[KEY_SEMICOLON] = 0x27,
	[KEY_APOSTROPHE] = 0x28,
	[KEY_GRAVE] = 0x29,
	[KEY_LEFTSHIFT] = 0x2a,
	[KEY_BACKSLASH] = 0x2b,
	[KEY_Z] = 0x2c,
	[KEY_X] = 0x2d,
	[KEY_C] = 0x2e,
	[KEY_V] = 0x2f,
	[KEY_B] = 0x30,
	[KEY_N] = 0x31,
	[KEY_M] = 0x32,
	[KEY_COMMA] = 0x33,
	[KEY_DOT] = 0x34,
	[KEY_SLASH] = 0x35,
	[KEY_RIGHTSHIFT] = 0x36,
	[KEY_KPASTERISK] = 0x37,
	[KEY_LEFTALT] = 0x38,
	[KEY_SPACE] = 0x39,
	[KEY_CAPSLOCK] = 0x3a,
	[KEY_F1] = 0x3b,
	[KEY_F2] = 0x3c,
	[KEY_F3] = 0x3d,
	[KEY_F4] = 0x3e,
	[KEY_F5] = 0x3f,
	[KEY_F6] = 0x40,
	[KEY_F7] = 0x41,
	[KEY_F8] = 0x42,
	[KEY_F9] = 0x43,
	[KEY_F10] = 0x44,
	[KEY_NUMLOCK] = 0x45,
	[KEY_SCROLLLOCK] = 0x46,
	[KEY_KP7] = 0x47,
	[KEY_KP8] = 0x48,
	[KEY_KP9] = 0x49,
	[KEY_KPMINUS] = 0x4a,
	[KEY_KP4] = 0x4b,
	[KEY_KP5] = 0x4c,
	[KEY_KP6] = 0x4d,
	[KEY_KPPLUS] = 0x4e,
	[KEY_KP1] = 0x4f,
	[KEY_KP2] = 0x50,
	[KEY_KP3] = 0x51,
	[KEY_KP0] = 0x52,
	[KEY_KPDOT] = 0x53,
	[KEY_SYSRQ] = 0x54,
	[KEY_102ND] = 0x56,
	[KEY_F11] = 0x57,
	[KEY_F12] = 0x58,
	[KEY_KPEQUAL] = 0x59,

	/* Japanese, Korean and Brazilian keys. */
	[KEY_KATAKANAHIRAGANA] = 0x70,
	[KEY_HANJA] = 0x71,             /* set 1 F1, folded */
	[KEY_HANGEUL] = 0x72,           /* set 1 F2, folded */
	[KEY_RO] = 0x73,
	[KEY_ZENKAKUHANKAKU] = 0x76,
	[KEY_HIRAGANA] = 0x77,
	[KEY_KATAKANA] = 0x78,
	[KEY_HENKAN] = 0x79,
	[KEY_MUHENKAN] = 0x7b,
	[KEY_YEN] = 0x7d,
	[KEY_KPCOMMA] = 0x7e,

	/* F13-F24: QEMU's numbers (see qemu-keys.h). */
	[KEY_F13] = 0x5d,
	[KEY_F14] = 0x5e,
	[KEY_F15] = 0x5f,
	[KEY_F16] = 0x55,
	[KEY_F17] = 0x83,
	[KEY_F18] = 0xf7,
	[KEY_F19] = 0x84,
	[KEY_F20] = 0x5a,
	[KEY_F21] = 0x74,
	[KEY_F22] = 0xf9,
	[KEY_F23] = 0x6d,
	[KEY_F24] = 0x6f,

	/* E0-prefixed keys of the 101/104-key layout. */
	[KEY_KPENTER] = 0x9c,           /* E0 1C */
	[KEY_RIGHTCTRL] = 0x9d,         /* E0 1D */
	[KEY_KPSLASH] = 0xb5,           /* E0 35 */
	[KEY_RIGHTALT] = 0xb8,          /* E0 38 */
	[KEY_PAUSE] = 0xc6,             /* E0 46; see qemu-keys.h */
	[KEY_HOME] = 0xc7,              /* E0 47 */
	[KEY_UP] = 0xc8,                /* E0 48 */
	[KEY_PAGEUP] = 0xc9,            /* E0 49 */
	[KEY_LEFT] = 0xcb,              /* E0 4B */
	[KEY_RIGHT] = 0xcd,             /* E0 4D */
	[KEY_END] = 0xcf,               /* E0 4F */
	[KEY_DOWN] = 0xd0,              /* E0 50 */
	[KEY_PAGEDOWN] = 0xd1,          /* E0 51 */
	[KEY_INSERT] = 0xd2,            /* E0 52 */
	[KEY_DELETE] = 0xd3,            /* E0 53 */
	[KEY_LEFTMETA] = 0xdb,          /* E0 5B */
	[KEY_RIGHTMETA] = 0xdc,         /* E0 5C */
	[KEY_COMPOSE] = 0xdd,           /* E0 5D, the Menu key */

	/* E0-prefixed media and browser keys (multimedia keyboards). */
	[KEY_PREVIOUSSONG] = 0x90,      /* E0 10 */
	[KEY_NEXTSONG] = 0x99,          /* E0 19 */
	[KEY_MUTE] = 0xa0,              /* E0 20 */
	[KEY_CALC] = 0xa1,              /* E0 21 */
	[KEY_PLAYPAUSE] = 0xa2,         /* E0 22 */
	[KEY_STOPCD] = 0xa4,            /* E0 24 */
	[KEY_VOLUMEDOWN] = 0xae,        /* E0 2E */
	[KEY_VOLUMEUP] = 0xb0,          /* E0 30 */
	[KEY_HOMEPAGE] = 0xb2,          /* E0 32 */
	[KEY_SEARCH] = 0xe5,            /* E0 65 */
	[KEY_BOOKMARKS] = 0xe6,         /* E0 66 */
	[KEY_REFRESH] = 0xe7,           /* E0 67 */
	[KEY_STOP] = 0xe8,              /* E0 68 */
	[KEY_FORWARD] = 0xe9,           /* E0 69 */
	[KEY_BACK] = 0xea,              /* E0 6A */
	[KEY_COMPUTER] = 0xeb,          /* E0 6B */
	[KEY_MAIL] = 0xec,              /* E0 6C */
	[KEY_MEDIA] = 0xed,             /* E0 6D */
};

uint32_t he_evdev_to_qnum(uint16_t evdev)
{
	if (evdev > HE_INPUT_KEY_MAX)
		return 0;
	return qnum_by_evdev[evdev];
}

uint32_t he_evdev_button_to_qemu(uint16_t btn)
{
	switch (btn) {
	case BTN_LEFT:
		return HE_QEMU_BTN_LEFT;
	case BTN_MIDDLE:
		return HE_QEMU_BTN_MIDDLE;
	case BTN_RIGHT:
		return HE_QEMU_BTN_RIGHT;
	case BTN_SIDE:
		return HE_QEMU_BTN_SIDE;
	case BTN_EXTRA:
		return HE_QEMU_BTN_EXTRA;
	default:
		return HE_QEMU_BTN_NONE;
	}
}
