/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared-memory rings: host-configured regions (files, e.g. the file behind
 * a QEMU ivshmem-plain device) that guests attach rings in. The host maps
 * read-only and trusts only its validated copy of the ring header. */
#ifndef HOSTENC_HXFR_SHM_H
#define HOSTENC_HXFR_SHM_H

#include <glib.h>
#include <hxfr/hxfr.h>
#include <stdbool.h>
#include <sys/types.h>

struct he_sigbus_range;

/** One attached ring: a read-only mapping of [ring_offset, +ring_size). */
struct he_shm {
	gint ref;
	char *region;           /**< region name, for logs */
	const uint8_t *base;    /**< ring start inside the mapping */
	uint64_t size;          /**< bytes mapped from base */
	struct hxfr_ring_header ring; /**< validated copy, never re-read */
	void *map;              /**< mmap address (page aligned) */
	size_t map_len;
	struct he_sigbus_range *watch; /**< the mapping, watched for truncation */
	dev_t dev;              /**< the region's file ... */
	ino_t ino;
	uint64_t offset;        /**< ... and where in it the ring starts */
};

/** Named regions, from --shm NAME=PATH (the HXFR module owns one table). */
struct he_shm_regions;

struct he_shm_regions *he_shm_regions_create(void);
void he_shm_regions_destroy(struct he_shm_regions *r);
/**
 * Add region @p spec ("NAME=PATH" or "PATH" for the default region "").
 * The file must exist; @return FALSE with @p err otherwise.
 */
gboolean he_shm_regions_add(struct he_shm_regions *r, const char *spec, GError **err);
guint he_shm_regions_count(const struct he_shm_regions *r);

/**
 * Attach to the ring a guest described in SHM_ATTACH. Checks the region
 * exists and the range lies inside the file, maps it read-only and
 * validates the ring header. @return a new reference or NULL with *why
 * set (static text) and *code an HXFR_ERR_*.
 */
struct he_shm *he_shm_attach(struct he_shm_regions *r, const struct hxfr_shm_attach *req,
			     uint64_t max_size, int32_t *code, const char **why);
/**
 * Whether the file was truncated under the mapping and a read faulted:
 * the mapping reads zeros from then on (sigbus.h). One atomic load.
 */
bool he_shm_lost(const struct he_shm *s);
/** Whether @p a and @p b share a byte of the same file. */
bool he_shm_overlaps(const struct he_shm *a, const struct he_shm *b);
struct he_shm *he_shm_ref(struct he_shm *s);
void he_shm_unref(struct he_shm *s);

#endif
