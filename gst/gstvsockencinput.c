/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HXFR INPUT → GstNavigation events and "hostenc-input" bus messages. */
#include "gstvsockencinput.h"

#include <linux/input-event-codes.h>

/* evdev → X keysym names, for the keys a desktop viewer sends. */
static const gchar *const key_names[KEY_MAX + 1] = {
  [KEY_ESC] = "Escape",[KEY_1] = "1",[KEY_2] = "2",[KEY_3] = "3",
  [KEY_4] = "4",[KEY_5] = "5",[KEY_6] = "6",[KEY_7] = "7",[KEY_8] = "8",
  [KEY_9] = "9",[KEY_0] = "0",[KEY_MINUS] = "minus",[KEY_EQUAL] = "equal",
  [KEY_BACKSPACE] = "BackSpace",[KEY_TAB] = "Tab",[KEY_Q] = "q",
  [KEY_W] = "w",[KEY_E] = "e",[KEY_R] = "r",[KEY_T] = "t",[KEY_Y] = "y",
  [KEY_U] = "u",[KEY_I] = "i",[KEY_O] = "o",[KEY_P] = "p",
  [KEY_LEFTBRACE] = "bracketleft",[KEY_RIGHTBRACE] = "bracketright",
  [KEY_ENTER] = "Return",[KEY_LEFTCTRL] = "Control_L",[KEY_A] = "a",
  [KEY_S] = "s",[KEY_D] = "d",[KEY_F] = "f",[KEY_G] = "g",[KEY_H] = "h",
  [KEY_J] = "j",[KEY_K] = "k",[KEY_L] = "l",[KEY_SEMICOLON] = "semicolon",
  [KEY_APOSTROPHE] = "apostrophe",[KEY_GRAVE] = "grave",
  [KEY_LEFTSHIFT] = "Shift_L",[KEY_BACKSLASH] = "backslash",[KEY_Z] = "z",
  [KEY_X] = "x",[KEY_C] = "c",[KEY_V] = "v",[KEY_B] = "b",[KEY_N] = "n",
  [KEY_M] = "m",[KEY_COMMA] = "comma",[KEY_DOT] = "period",
  [KEY_SLASH] = "slash",[KEY_RIGHTSHIFT] = "Shift_R",
  [KEY_KPASTERISK] = "KP_Multiply",[KEY_LEFTALT] = "Alt_L",
  [KEY_SPACE] = "space",[KEY_CAPSLOCK] = "Caps_Lock",[KEY_F1] = "F1",
  [KEY_F2] = "F2",[KEY_F3] = "F3",[KEY_F4] = "F4",[KEY_F5] = "F5",
  [KEY_F6] = "F6",[KEY_F7] = "F7",[KEY_F8] = "F8",[KEY_F9] = "F9",
  [KEY_F10] = "F10",[KEY_NUMLOCK] = "Num_Lock",
  [KEY_SCROLLLOCK] = "Scroll_Lock",[KEY_KP7] = "KP_7",[KEY_KP8] = "KP_8",
  [KEY_KP9] = "KP_9",[KEY_KPMINUS] = "KP_Subtract",[KEY_KP4] = "KP_4",
  [KEY_KP5] = "KP_5",[KEY_KP6] = "KP_6",[KEY_KPPLUS] = "KP_Add",
  [KEY_KP1] = "KP_1",[KEY_KP2] = "KP_2",[KEY_KP3] = "KP_3",
  [KEY_KP0] = "KP_0",[KEY_KPDOT] = "KP_Decimal",[KEY_F11] = "F11",
  [KEY_F12] = "F12",[KEY_KPENTER] = "KP_Enter",
  [KEY_RIGHTCTRL] = "Control_R",[KEY_KPSLASH] = "KP_Divide",
  [KEY_SYSRQ] = "Print",[KEY_RIGHTALT] = "Alt_R",[KEY_HOME] = "Home",
  [KEY_UP] = "Up",[KEY_PAGEUP] = "Page_Up",[KEY_LEFT] = "Left",
  [KEY_RIGHT] = "Right",[KEY_END] = "End",[KEY_DOWN] = "Down",
  [KEY_PAGEDOWN] = "Page_Down",[KEY_INSERT] = "Insert",
  [KEY_DELETE] = "Delete",[KEY_PAUSE] = "Pause",[KEY_LEFTMETA] = "Super_L",
  [KEY_RIGHTMETA] = "Super_R",[KEY_COMPOSE] = "Menu",
};

const gchar *
gst_vsock_enc_input_key_name (guint16 code)
{
  return code <= KEY_MAX ? key_names[code] : NULL;
}

static GstNavigationModifierType
modifier_of (guint16 code)
{
  switch (code) {
    case KEY_LEFTSHIFT:
    case KEY_RIGHTSHIFT:
      return GST_NAVIGATION_MODIFIER_SHIFT_MASK;
    case KEY_LEFTCTRL:
    case KEY_RIGHTCTRL:
      return GST_NAVIGATION_MODIFIER_CONTROL_MASK;
    case KEY_LEFTALT:
    case KEY_RIGHTALT:
      return GST_NAVIGATION_MODIFIER_MOD1_MASK;
    case KEY_LEFTMETA:
    case KEY_RIGHTMETA:
      return GST_NAVIGATION_MODIFIER_SUPER_MASK;
    default:
      return 0;
  }
}

/* GstNavigation buttons: 1 left, 2 middle, 3 right, 8 back, 9 forward. */
static gint
button_of (guint16 code)
{
  switch (code) {
    case BTN_LEFT:
      return 1;
    case BTN_MIDDLE:
      return 2;
    case BTN_RIGHT:
      return 3;
    case BTN_SIDE:
      return 8;
    case BTN_EXTRA:
      return 9;
    default:
      return 0;
  }
}

static GstEvent *
key_event (GstVsockEncInputState * st, const struct hxfr_input *in)
{
  const gchar *name = gst_vsock_enc_input_key_name (in->code);
  GstNavigationModifierType mod = modifier_of (in->code);
  GstEvent *ev;

  /* the event carries the state before this key, as X does */
  if (!name)
    ev = NULL;
  else if (in->down)
    ev = gst_navigation_event_new_key_press (name, st->modifiers);
  else
    ev = gst_navigation_event_new_key_release (name, st->modifiers);
  if (in->down)
    st->modifiers |= mod;
  else
    st->modifiers &= ~mod;
  return ev;
}

static GstEvent *
pointer_event (GstVsockEncInputState * st, const struct hxfr_input *in,
    guint width, guint height)
{
  gint button;

  switch (in->kind) {
    case HXFR_INPUT_MOTION_ABS:
      /* 0..32767 spans the picture: 32767 is its last pixel */
      st->x = width > 1 ? (gdouble) in->x * (width - 1) / HXFR_INPUT_ABS_MAX : 0;
      st->y = height > 1 ? (gdouble) in->y * (height - 1) /
          HXFR_INPUT_ABS_MAX : 0;
      return gst_navigation_event_new_mouse_move (st->x, st->y, st->modifiers);
    case HXFR_INPUT_BUTTON:
      button = button_of (in->code);
      if (!button)
        return NULL;
      return in->down ? gst_navigation_event_new_mouse_button_press (button,
          st->x, st->y, st->modifiers) :
          gst_navigation_event_new_mouse_button_release (button, st->x, st->y,
          st->modifiers);
    case HXFR_INPUT_WHEEL:
      /* GstNavigation: positive delta_y scrolls up */
      return gst_navigation_event_new_mouse_scroll (st->x, st->y, in->dx,
          -(gdouble) in->dy, st->modifiers);
    default:
      return NULL;              /* relative motion: the bus message only */
  }
}

static const gchar *
kind_name (guint8 kind)
{
  static const gchar *const names[] = { "key", "button", "motion-absolute",
    "motion-relative", "wheel"
  };

  return kind < G_N_ELEMENTS (names) ? names[kind] : "unknown";
}

void
gst_vsock_enc_input_handle (GstElement * element, GstPad * sinkpad,
    GstVsockEncInputState * st, const struct hxfr_input *in, guint width,
    guint height)
{
  GstEvent *ev = in->kind == HXFR_INPUT_KEY ? key_event (st, in) :
      pointer_event (st, in, width, height);
  const gchar *key = in->kind == HXFR_INPUT_KEY ?
      gst_vsock_enc_input_key_name (in->code) : NULL;
  GstStructure *s = gst_structure_new ("hostenc-input",
      "kind", G_TYPE_STRING, kind_name (in->kind),
      "code", G_TYPE_UINT, (guint) in->code,
      "down", G_TYPE_BOOLEAN, (gboolean) in->down,
      "x", G_TYPE_DOUBLE, st->x, "y", G_TYPE_DOUBLE, st->y,
      "dx", G_TYPE_INT, in->dx, "dy", G_TYPE_INT, in->dy,
      "key", G_TYPE_STRING, key, NULL);

  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT (element), s));
  if (ev && !gst_pad_push_event (sinkpad, ev))
    GST_LOG_OBJECT (element, "nobody upstream took the navigation event");
}
