/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web page's keyboard and mouse, as evdev codes.
 *
 * The page sends KeyboardEvent.code (the physical key, W3C "UI Events
 * KeyboardEvent code Values") and MouseEvent.button; these translate them
 * to the KEY_* and BTN_* codes the rest of hostencd uses. */
#ifndef HOSTENC_OUTPUTS_WEB_DOM_KEYS_H
#define HOSTENC_OUTPUTS_WEB_DOM_KEYS_H

#include <stddef.h>
#include <stdint.h>

/** Longest KeyboardEvent.code we look up; longer strings are unknown. */
#define HE_DOM_CODE_MAX 32

/** evdev KEY_* code for KeyboardEvent.code @p code ("KeyA" -> KEY_A);
 * 0 for NULL, unknown, or longer than HE_DOM_CODE_MAX. Covers a full
 * 104/105-key PC keyboard, the Japanese/Korean/Brazilian extras, F13-F24
 * and the common media and browser keys. Case-sensitive, as the spec is.
 * O(log n). */
uint16_t he_dom_code_to_evdev(const char *code);

/** evdev BTN_* code for MouseEvent.button @p dom_button: 0 left, 1 middle,
 * 2 right, 3 back (BTN_SIDE), 4 forward (BTN_EXTRA); 0 for anything else. */
uint16_t he_dom_button_to_evdev(int dom_button);

/** Number of entries in the code table (for tests and diagnostics). */
size_t he_dom_code_count(void);

/** Entry @p i of the code table, in strcmp() order: returns the code string
 * and stores its evdev code in @p evdev (if not NULL); NULL past the end. */
const char *he_dom_code_at(size_t i, uint16_t *evdev);

#endif
