// SPDX-License-Identifier: LGPL-2.1-or-later
// The public header compiles as C++ and gives C linkage.
#include <hxfr/hxfr.h>

int hxfr_compile_test_cxx();

int hxfr_compile_test_cxx()
{
	hxfr_msg m = {};
	const char *(*name)(uint8_t) = hxfr_type_name;
	m.total = HXFR_HEADER_SIZE;
	return static_cast<int>(m.total) + (name(HXFR_PING)[0] == 'P' ? 1 : 0) +
	       static_cast<int>(HXFR_FMT_NV12 & 1u);
}
