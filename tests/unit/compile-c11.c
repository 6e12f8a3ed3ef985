/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public header on its own compiles as strict ISO C11 (no _GNU_SOURCE,
 * -Wall -Wextra -Werror -pedantic) and is usable as is. */
#include <hxfr/hxfr.h>

#include <hxfr/hxfr.h> /* include guard */

int hxfr_compile_test(void);

int hxfr_compile_test(void)
{
	struct hxfr_msg m = {{HXFR_MAGIC, HXFR_PING, 0, 0, 0}, 0, HXFR_HEADER_SIZE};
	enum hxfr_type t = HXFR_ERROR;
	enum hxfr_error_code e = HXFR_ERR_INTERNAL;

	return (int)m.total + (int)t + (int)e + (int)HXFR_FRAME_REQUEST_PREFIX +
	       (int)(HXFR_FMT_BGRX & 1u) + (int)HXFR_VERSION;
}
