/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File-system helpers the tests in tests/gst share. */
#ifndef HOSTENC_TESTS_GST_TEST_FS_H
#define HOSTENC_TESTS_GST_TEST_FS_H

#include <glib.h>

/* Removes @path and everything under it; symlinks are removed, never
 * followed. */
void tf_rm_rf (const gchar * path);

#endif
