/* SPDX-License-Identifier: GPL-2.0-or-later */
/* evdev codes to the numbers QEMU's D-Bus display takes.
 *
 * org.qemu.Display1.Keyboard.Press/Release take a QEMU "qnum": the PC/AT
 * scancode set 1 (XT) make code, with E0-prefixed keys folded into one byte
 * as 0x80 | code (Right Ctrl E0 1D -> 0x9d, Up E0 48 -> 0xc8). QEMU turns
 * the number back into its own key and emits whatever scancodes the guest's
 * keyboard needs.
 *
 * org.qemu.Display1.Mouse.Press/Release take QEMU's InputButton enum
 * (qapi/ui.json): left, middle, right, wheel-up, wheel-down, side, extra,
 * wheel-left, wheel-right, numbered from 0. */
#ifndef HOSTENC_SOURCES_QEMU_QEMU_KEYS_H
#define HOSTENC_SOURCES_QEMU_QEMU_KEYS_H

#include <stdint.h>

/** QEMU InputButton values (qapi/ui.json order). */
enum he_qemu_button {
	HE_QEMU_BTN_LEFT = 0,
	HE_QEMU_BTN_MIDDLE = 1,
	HE_QEMU_BTN_RIGHT = 2,
	HE_QEMU_BTN_WHEEL_UP = 3,
	HE_QEMU_BTN_WHEEL_DOWN = 4,
	HE_QEMU_BTN_SIDE = 5,
	HE_QEMU_BTN_EXTRA = 6,
	HE_QEMU_BTN_WHEEL_LEFT = 7,
	HE_QEMU_BTN_WHEEL_RIGHT = 8,
};

/** Returned by he_evdev_button_to_qemu() for a button QEMU has no value
 * for (0 is a real button: left). */
#define HE_QEMU_BTN_NONE UINT32_MAX

/** QEMU qnum for evdev key @p evdev; 0 when the key has none.
 *
 * Conventions (checked against QEMU's ui/input-keymap.c and the
 * keycodemapdb data it is generated from):
 * - KEY_PAUSE -> 0xc6 (E0 46, the Ctrl+Break position). QEMU special-cases
 *   Pause and sends the guest the real E1 1D 45 / E1 9D C5 sequence.
 * - KEY_SYSRQ (Print Screen) -> 0x54, QEMU's preferred number for it
 *   (QEMU also accepts 0xb7, the folded E0 37, for the same key).
 * - KEY_LEFTMETA/KEY_RIGHTMETA/KEY_COMPOSE (Menu) -> 0xdb/0xdc/0xdd.
 * - Lang1/Lang2 (KEY_HANGEUL/KEY_HANJA, set 1 F2/F1 with no break code)
 *   -> 0x72/0x71, as QEMU folds them.
 * - F13-F24 have no set 1 code that everyone agrees on; they use the ones
 *   QEMU maps back to KEY_F13..KEY_F24 (Linux's set 1 assignment). */
uint32_t he_evdev_to_qnum(uint16_t evdev);

/** QEMU InputButton for BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE (back)
 * and BTN_EXTRA (forward); HE_QEMU_BTN_NONE for anything else. Wheels are
 * not BTN_ codes: send HE_QEMU_BTN_WHEEL_* press+release per notch. */
uint32_t he_evdev_button_to_qemu(uint16_t btn);

#endif
