/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file frame-num.h
 * frame_num of an H.264 access unit (its first slice header), which grows
 * by one with every reference picture after an IDR (0) when the stream has
 * no gaps (gaps_in_frame_num_value_allowed_flag 0, as libx264 writes): a
 * consumer that lost an access unit inside a GOP sees it jump.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct soak_frame_num {
	unsigned log2_max;  /**< from the last SPS; 0 = none seen yet */
};

/**
 * Read the frame_num of the first slice of @p au (Annex B), after taking
 * log2_max_frame_num from an SPS in front of it if there is one.
 * @return 0 with *@p frame_num and *@p ref (nal_ref_idc != 0), -1 when it
 *   cannot be read (no SPS seen yet, an SPS this reader does not follow).
 */
int soak_frame_num_read(struct soak_frame_num *fn, const uint8_t *au, size_t len,
			uint32_t *frame_num, bool *ref);
