/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file x264-settings.h
 * libx264 writes the settings it encodes with into the first access unit of
 * a stream (an unregistered user data SEI: "x264 - core ... - options:
 * cabac=0 ref=1 ..."). Benchmarks read them back to show that every row
 * really used the same settings.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/** The settings ("cabac=0 ref=1 ...") found in @p data, newly allocated
 * (g_free()), or NULL when there are none. */
char *bench_x264_settings(const uint8_t *data, size_t len);
