/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file au-quality.h
 * Luma PSNR of a stream of access units against the BGRx pictures they
 * were made from: libavcodec's H.264 decoder on one side, hostencd's own
 * conversion (libyuv, BT.601 limited range) of the source on the other.
 * Run after a measurement, not during it (decoding costs CPU).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct au_quality;

/** A decoder for @p w x @p h pictures; NULL on failure (message printed). */
struct au_quality *au_quality_new(uint32_t w, uint32_t h);
void au_quality_free(struct au_quality *q);

/**
 * Decode the next access unit @p au of the stream and compare the picture
 * with @p bgrx (@p stride bytes per row). @return the luma PSNR in dB
 * (99 for identical pictures), or NAN when the decoder gave no picture.
 */
double au_quality_next(struct au_quality *q, const uint8_t *au, size_t len, const uint8_t *bgrx,
		       uint32_t stride);
