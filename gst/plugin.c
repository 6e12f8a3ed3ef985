/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hostenc GStreamer plugin: vsockenc, H.264 encoding by the VM host. */
#include "gstvsockenc.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (vsockenc, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, hostenc,
    "H.264 encoding by the VM's host (hostencd) over HXFR",
    plugin_init, VERSION, "GPL", PACKAGE, GST_PACKAGE_ORIGIN)
