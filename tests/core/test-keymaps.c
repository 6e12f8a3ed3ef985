/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the key tables: KeyboardEvent.code -> evdev (dom-keys),
 * evdev -> label (input-keys), evdev -> QEMU qnum/InputButton (qemu-keys).
 * Expected values are written out as numbers, independent of the tables. */

/* Also define input-keys.h's own copies of the KEY_ and BTN_ constants, so a
 * copy that disagrees with <linux/input-event-codes.h> fails the build. */
#define HE_INPUT_KEYS_CHECK_FALLBACK 1

#include <glib.h>
#include <string.h>

#include "dom-keys.h"
#include "input-keys.h"
#include "qemu-keys.h"

/* DOM codes that deliberately share an evdev code with another entry:
 * legacy names some browsers send, and the spec's name for the same key. */
static const struct {
	const char *alias;
	const char *canonical;
} aliases[] = {
	{ "OSLeft", "MetaLeft" },
	{ "OSRight", "MetaRight" },
	{ "VolumeDown", "AudioVolumeDown" },
	{ "VolumeMute", "AudioVolumeMute" },
	{ "VolumeUp", "AudioVolumeUp" },
};

/* evdev codes dom-keys may produce that have no qnum. Empty today: every
 * key in the table has a PC scancode QEMU knows. Add here with a reason. */
static const uint16_t no_qnum[] = { 0 };

static bool is_alias(const char *code)
{
	for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++)
		if (strcmp(aliases[i].alias, code) == 0)
			return true;
	return false;
}

static bool in_no_qnum(uint16_t evdev)
{
	for (size_t i = 0; i < G_N_ELEMENTS(no_qnum); i++)
		if (no_qnum[i] && no_qnum[i] == evdev)
			return true;
	return false;
}

static void test_dom_sorted(void)
{
	size_t n = he_dom_code_count();

	g_assert_cmpuint(n, >, 100);
	for (size_t i = 1; i < n; i++) {
		const char *prev = he_dom_code_at(i - 1, NULL);
		const char *cur = he_dom_code_at(i, NULL);

		if (strcmp(prev, cur) >= 0)
			g_error("dom table not sorted at %zu: \"%s\" >= \"%s\"", i, prev, cur);
	}
	g_assert_null(he_dom_code_at(n, NULL));
}

static void test_dom_entries(void)
{
	size_t n = he_dom_code_count();

	for (size_t i = 0; i < n; i++) {
		uint16_t evdev = 0;
		const char *code = he_dom_code_at(i, &evdev);

		g_assert_nonnull(code);
		g_assert_cmpuint(strlen(code), >, 0);
		g_assert_cmpuint(strlen(code), <=, HE_DOM_CODE_MAX);
		g_assert_cmpuint(evdev, !=, 0);
		/* The lookup finds every entry (bsearch sees the whole table). */
		g_assert_cmpuint(he_dom_code_to_evdev(code), ==, evdev);
	}
}

static void test_dom_distinct(void)
{
	size_t n = he_dom_code_count();

	for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
		uint16_t a = he_dom_code_to_evdev(aliases[i].alias);

		g_assert_cmpuint(a, !=, 0);
		g_assert_cmpuint(a, ==, he_dom_code_to_evdev(aliases[i].canonical));
	}
	for (size_t i = 0; i < n; i++) {
		uint16_t ei = 0;
		const char *ci = he_dom_code_at(i, &ei);

		for (size_t j = i + 1; j < n; j++) {
			uint16_t ej = 0;
			const char *cj = he_dom_code_at(j, &ej);

			if (ei == ej && !is_alias(ci) && !is_alias(cj))
				g_error("\"%s\" and \"%s\" both map to evdev %u", ci, cj, ei);
		}
	}
}

static void test_dom_known(void)
{
	static const struct {
		const char *code;
		unsigned evdev;
	} known[] = {
		{ "KeyA", 30 },          { "KeyZ", 44 },         { "KeyQ", 16 },
		{ "Digit1", 2 },         { "Digit0", 11 },       { "Escape", 1 },
		{ "Enter", 28 },         { "Space", 57 },        { "Tab", 15 },
		{ "Backspace", 14 },     { "Backquote", 41 },    { "Minus", 12 },
		{ "Equal", 13 },         { "BracketLeft", 26 },  { "Backslash", 43 },
		{ "Semicolon", 39 },     { "Quote", 40 },        { "Comma", 51 },
		{ "Period", 52 },        { "Slash", 53 },        { "CapsLock", 58 },
		{ "ShiftLeft", 42 },     { "ShiftRight", 54 },   { "ControlLeft", 29 },
		{ "ControlRight", 97 },  { "AltLeft", 56 },      { "AltRight", 100 },
		{ "MetaLeft", 125 },     { "MetaRight", 126 },   { "ContextMenu", 127 },
		{ "ArrowUp", 103 },      { "ArrowDown", 108 },   { "ArrowLeft", 105 },
		{ "ArrowRight", 106 },   { "Home", 102 },        { "End", 107 },
		{ "PageUp", 104 },       { "PageDown", 109 },    { "Insert", 110 },
		{ "Delete", 111 },       { "F1", 59 },           { "F10", 68 },
		{ "F11", 87 },           { "F12", 88 },          { "F13", 183 },
		{ "F24", 194 },          { "PrintScreen", 99 },  { "ScrollLock", 70 },
		{ "Pause", 119 },        { "NumLock", 69 },      { "Numpad0", 82 },
		{ "Numpad7", 71 },       { "NumpadEnter", 96 },  { "NumpadDivide", 98 },
		{ "NumpadMultiply", 55 }, { "NumpadSubtract", 74 }, { "NumpadAdd", 78 },
		{ "NumpadDecimal", 83 }, { "NumpadEqual", 117 }, { "NumpadComma", 121 },
		{ "IntlBackslash", 86 }, { "IntlRo", 89 },       { "IntlYen", 124 },
		{ "Lang1", 122 },        { "Lang2", 123 },       { "KanaMode", 93 },
		{ "Convert", 92 },       { "NonConvert", 94 },   { "AudioVolumeMute", 113 },
		{ "AudioVolumeDown", 114 }, { "AudioVolumeUp", 115 },
		{ "MediaPlayPause", 164 }, { "MediaTrackNext", 163 },
		{ "BrowserBack", 158 },  { "BrowserForward", 159 },
		{ "OSLeft", 125 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
		unsigned got = he_dom_code_to_evdev(known[i].code);

		if (got != known[i].evdev)
			g_error("%s -> %u, expected %u", known[i].code, got, known[i].evdev);
	}
}

static void test_dom_unknown(void)
{
	char big[4096];

	g_assert_cmpuint(he_dom_code_to_evdev(NULL), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev(""), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("keya"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("KEYA"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("KeyA "), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev(" KeyA"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("KeyAA"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("Key"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("F25"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("F0"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("Unidentified"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("Fn"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("Power"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("K\xc3\xa9yA"), ==, 0);
	g_assert_cmpuint(he_dom_code_to_evdev("\xff\xfe"), ==, 0);

	/* Overlong: a valid code followed by padding, and a huge string. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	g_assert_cmpuint(he_dom_code_to_evdev(big), ==, 0);
	memcpy(big, "KeyA", 4);
	big[HE_DOM_CODE_MAX + 1] = '\0';
	g_assert_cmpuint(he_dom_code_to_evdev(big), ==, 0);
	big[4] = '\0';
	g_assert_cmpuint(he_dom_code_to_evdev(big), ==, 30);
}

static void test_dom_buttons(void)
{
	g_assert_cmpuint(he_dom_button_to_evdev(0), ==, 0x110); /* BTN_LEFT */
	g_assert_cmpuint(he_dom_button_to_evdev(1), ==, 0x112); /* BTN_MIDDLE */
	g_assert_cmpuint(he_dom_button_to_evdev(2), ==, 0x111); /* BTN_RIGHT */
	g_assert_cmpuint(he_dom_button_to_evdev(3), ==, 0x113); /* BTN_SIDE */
	g_assert_cmpuint(he_dom_button_to_evdev(4), ==, 0x114); /* BTN_EXTRA */
	g_assert_cmpuint(he_dom_button_to_evdev(5), ==, 0);
	g_assert_cmpuint(he_dom_button_to_evdev(-1), ==, 0);
	g_assert_cmpuint(he_dom_button_to_evdev(G_MAXINT), ==, 0);
	g_assert_cmpuint(he_dom_button_to_evdev(G_MININT), ==, 0);
	for (int b = 0; b <= 4; b++)
		g_assert_true(he_input_button_valid(he_dom_button_to_evdev(b)));
}

/* Everything the web page can produce is a valid key, has a label, and
 * (unless listed in no_qnum) a qnum that no other key has. */
static void test_chain(void)
{
	size_t n = he_dom_code_count();
	uint16_t owner[256] = { 0 };

	for (size_t i = 0; i < n; i++) {
		uint16_t evdev = 0;
		const char *code = he_dom_code_at(i, &evdev);
		uint32_t q = he_evdev_to_qnum(evdev);

		if (!he_input_key_valid(evdev))
			g_error("%s -> evdev %u is not a valid key", code, evdev);
		if (!he_input_key_name(evdev) || !*he_input_key_name(evdev))
			g_error("%s -> evdev %u has no name", code, evdev);
		if (in_no_qnum(evdev)) {
			g_assert_cmpuint(q, ==, 0);
			continue;
		}
		if (q == 0)
			g_error("%s -> evdev %u has no qnum", code, evdev);
		g_assert_cmpuint(q, <, 256);
		if (owner[q] && owner[q] != evdev)
			g_error("qnum 0x%02x for both evdev %u and %u", q, owner[q], evdev);
		owner[q] = evdev;
	}
}

static void test_qnum_known(void)
{
	static const struct {
		unsigned evdev;
		uint32_t qnum;
	} known[] = {
		{ 1, 0x01 },   /* Esc */
		{ 30, 0x1e },  /* A */
		{ 44, 0x2c },  /* Z */
		{ 2, 0x02 },   /* 1 */
		{ 28, 0x1c },  /* Enter */
		{ 29, 0x1d },  /* Left Ctrl */
		{ 97, 0x9d },  /* Right Ctrl: E0 1D */
		{ 56, 0x38 },  /* Left Alt */
		{ 100, 0xb8 }, /* Right Alt: E0 38 */
		{ 42, 0x2a },  /* Left Shift */
		{ 54, 0x36 },  /* Right Shift */
		{ 103, 0xc8 }, /* Up: E0 48 */
		{ 108, 0xd0 }, /* Down: E0 50 */
		{ 105, 0xcb }, /* Left: E0 4B */
		{ 106, 0xcd }, /* Right: E0 4D */
		{ 96, 0x9c },  /* KP Enter: E0 1C */
		{ 98, 0xb5 },  /* KP /: E0 35 */
		{ 55, 0x37 },  /* KP * */
		{ 125, 0xdb }, /* Left Meta: E0 5B */
		{ 126, 0xdc }, /* Right Meta: E0 5C */
		{ 127, 0xdd }, /* Menu: E0 5D */
		{ 99, 0x54 },  /* Print Screen: QEMU's preferred number */
		{ 119, 0xc6 }, /* Pause: QEMU's number; it sends E1 1D 45 */
		{ 70, 0x46 },  /* Scroll Lock */
		{ 69, 0x45 },  /* Num Lock */
		{ 87, 0x57 },  /* F11 */
		{ 88, 0x58 },  /* F12 */
		{ 86, 0x56 },  /* 102nd (IntlBackslash) */
		{ 89, 0x73 },  /* Ro */
		{ 124, 0x7d }, /* Yen */
		{ 122, 0x72 }, /* Hangul (F2 folded) */
		{ 123, 0x71 }, /* Hanja (F1 folded) */
		{ 117, 0x59 }, /* KP = */
		{ 110, 0xd2 }, /* Insert */
		{ 111, 0xd3 }, /* Delete */
		{ 113, 0xa0 }, /* Mute: E0 20 */
		{ 115, 0xb0 }, /* Volume Up: E0 30 */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
		uint32_t got = he_evdev_to_qnum((uint16_t)known[i].evdev);

		if (got != known[i].qnum)
			g_error("evdev %u -> qnum 0x%02x, expected 0x%02x", known[i].evdev, got,
				known[i].qnum);
	}
	g_assert_cmpuint(he_evdev_to_qnum(0), ==, 0);
	g_assert_cmpuint(he_evdev_to_qnum(84), ==, 0);     /* unassigned */
	g_assert_cmpuint(he_evdev_to_qnum(116), ==, 0);    /* KEY_POWER: not forwarded */
	g_assert_cmpuint(he_evdev_to_qnum(249), ==, 0);    /* past the table */
	g_assert_cmpuint(he_evdev_to_qnum(0x110), ==, 0);  /* BTN_LEFT is no key */
	g_assert_cmpuint(he_evdev_to_qnum(0xffff), ==, 0);
}

static void test_qemu_buttons(void)
{
	/* qapi/ui.json InputButton: left, middle, right, wheel-up, wheel-down,
	 * side, extra, wheel-left, wheel-right. */
	g_assert_cmpuint(he_evdev_button_to_qemu(0x110), ==, 0); /* BTN_LEFT */
	g_assert_cmpuint(he_evdev_button_to_qemu(0x112), ==, 1); /* BTN_MIDDLE */
	g_assert_cmpuint(he_evdev_button_to_qemu(0x111), ==, 2); /* BTN_RIGHT */
	g_assert_cmpuint(he_evdev_button_to_qemu(0x113), ==, 5); /* BTN_SIDE */
	g_assert_cmpuint(he_evdev_button_to_qemu(0x114), ==, 6); /* BTN_EXTRA */
	g_assert_cmpuint(HE_QEMU_BTN_WHEEL_UP, ==, 3);
	g_assert_cmpuint(HE_QEMU_BTN_WHEEL_DOWN, ==, 4);
	g_assert_cmpuint(HE_QEMU_BTN_WHEEL_LEFT, ==, 7);
	g_assert_cmpuint(HE_QEMU_BTN_WHEEL_RIGHT, ==, 8);
	g_assert_cmpuint(he_evdev_button_to_qemu(0), ==, HE_QEMU_BTN_NONE);
	g_assert_cmpuint(he_evdev_button_to_qemu(0x115), ==, HE_QEMU_BTN_NONE);
	g_assert_cmpuint(he_evdev_button_to_qemu(0x10f), ==, HE_QEMU_BTN_NONE);
	g_assert_cmpuint(he_evdev_button_to_qemu(30), ==, HE_QEMU_BTN_NONE);
	/* DOM button -> evdev -> QEMU, end to end. */
	g_assert_cmpuint(he_evdev_button_to_qemu(he_dom_button_to_evdev(0)), ==, 0);
	g_assert_cmpuint(he_evdev_button_to_qemu(he_dom_button_to_evdev(1)), ==, 1);
	g_assert_cmpuint(he_evdev_button_to_qemu(he_dom_button_to_evdev(2)), ==, 2);
	g_assert_cmpuint(he_evdev_button_to_qemu(he_dom_button_to_evdev(3)), ==, 5);
	g_assert_cmpuint(he_evdev_button_to_qemu(he_dom_button_to_evdev(4)), ==, 6);
}

static void test_names(void)
{
	g_assert_cmpstr(he_input_key_name(30), ==, "A");
	g_assert_cmpstr(he_input_key_name(2), ==, "1");
	g_assert_cmpstr(he_input_key_name(28), ==, "Enter");
	g_assert_cmpstr(he_input_key_name(42), ==, "Shift");
	g_assert_cmpstr(he_input_key_name(54), ==, "Right Shift");
	g_assert_cmpstr(he_input_key_name(63), ==, "F5");
	g_assert_cmpstr(he_input_key_name(105), ==, "Left");
	g_assert_cmpstr(he_input_key_name(57), ==, "Space");
	g_assert_cmpstr(he_input_key_name(1), ==, "Esc");
	g_assert_cmpstr(he_input_key_name(194), ==, "F24");

	g_assert_null(he_input_key_name(0));
	g_assert_null(he_input_key_name(84));    /* unassigned */
	g_assert_null(he_input_key_name(116));   /* KEY_POWER: not accepted */
	g_assert_null(he_input_key_name(142));   /* KEY_SLEEP */
	g_assert_null(he_input_key_name(249));
	g_assert_null(he_input_key_name(0x110)); /* BTN_LEFT is a button */
	g_assert_null(he_input_key_name(0xffff));
	g_assert_false(he_input_key_valid(0));
	g_assert_false(he_input_key_valid(116));
	g_assert_false(he_input_key_valid(0xffff));
	g_assert_true(he_input_key_valid(30));

	/* Every valid key is in range and has a non-empty label. */
	for (unsigned k = 0; k <= 0xffff; k++) {
		const char *name = he_input_key_name((uint16_t)k);

		g_assert_true(he_input_key_valid((uint16_t)k) == (name != NULL));
		if (name) {
			g_assert_cmpuint(k, >=, HE_INPUT_KEY_MIN);
			g_assert_cmpuint(k, <=, HE_INPUT_KEY_MAX);
			g_assert_cmpuint(strlen(name), >, 0);
		}
	}

	g_assert_cmpstr(he_input_button_name(0x110), ==, "Left button");
	g_assert_cmpstr(he_input_button_name(0x113), ==, "Back button");
	g_assert_cmpstr(he_input_button_name(0x114), ==, "Forward button");
	g_assert_null(he_input_button_name(0x10f));
	g_assert_null(he_input_button_name(0x115));
	g_assert_null(he_input_button_name(30));
	for (unsigned b = 0x110; b <= 0x114; b++)
		g_assert_true(he_input_button_valid((uint16_t)b));
	g_assert_false(he_input_button_valid(0x115));
}

/* The header constants against literal values (and, on Linux, against the
 * system header via HE_INPUT_KEYS_CHECK_FALLBACK at compile time). */
static void test_constants(void)
{
	g_assert_cmpuint(KEY_ESC, ==, 1);
	g_assert_cmpuint(KEY_A, ==, 30);
	g_assert_cmpuint(KEY_SYSRQ, ==, 99);
	g_assert_cmpuint(KEY_PAUSE, ==, 119);
	g_assert_cmpuint(KEY_LEFTMETA, ==, 125);
	g_assert_cmpuint(KEY_MICMUTE, ==, 248);
	g_assert_cmpuint(BTN_LEFT, ==, 0x110);
	g_assert_cmpuint(BTN_RIGHT, ==, 0x111);
	g_assert_cmpuint(BTN_MIDDLE, ==, 0x112);
	g_assert_cmpuint(BTN_SIDE, ==, 0x113);
	g_assert_cmpuint(BTN_EXTRA, ==, 0x114);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/keymaps/dom/sorted", test_dom_sorted);
	g_test_add_func("/keymaps/dom/entries", test_dom_entries);
	g_test_add_func("/keymaps/dom/distinct", test_dom_distinct);
	g_test_add_func("/keymaps/dom/known", test_dom_known);
	g_test_add_func("/keymaps/dom/unknown", test_dom_unknown);
	g_test_add_func("/keymaps/dom/buttons", test_dom_buttons);
	g_test_add_func("/keymaps/chain", test_chain);
	g_test_add_func("/keymaps/qnum/known", test_qnum_known);
	g_test_add_func("/keymaps/qnum/buttons", test_qemu_buttons);
	g_test_add_func("/keymaps/names", test_names);
	g_test_add_func("/keymaps/constants", test_constants);
	return g_test_run();
}
