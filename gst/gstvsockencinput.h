/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Viewers' input that hostencd forwards to vsockenc (HXFR INPUT, for a
 * guest that is not a known VM): navigation events upstream, and an
 * element message "hostenc-input" on the bus with the raw evdev values. */
#ifndef GST_VSOCK_ENC_INPUT_H
#define GST_VSOCK_ENC_INPUT_H

#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <hxfr/hxfr.h>

G_BEGIN_DECLS

/* What the reader thread keeps between events: modifiers and the last
 * pointer position (in pixels of the stream). */
typedef struct
{
  GstNavigationModifierType modifiers;
  gdouble x, y;
} GstVsockEncInputState;

/* X keysym name for an evdev key code ("a", "Return", "Shift_L"), as
 * GstNavigation key events carry; NULL for codes without one. */
const gchar *gst_vsock_enc_input_key_name (guint16 code);

/* Turn @in into events: @sinkpad gets the navigation event (upstream),
 * @element posts the bus message. @width and @height: the stream's size,
 * for absolute positions. */
void gst_vsock_enc_input_handle (GstElement * element, GstPad * sinkpad,
    GstVsockEncInputState * st, const struct hxfr_input *in, guint width,
    guint height);

G_END_DECLS

#endif
