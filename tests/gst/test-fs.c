/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-fs.h"

#include <unistd.h>

void
tf_rm_rf (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (d) {
    while ((name = g_dir_read_name (d))) {
      g_autofree gchar *p = g_build_filename (path, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR)
          && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        tf_rm_rf (p);
      else
        unlink (p);
    }
    g_dir_close (d);
  }
  rmdir (path);
}
