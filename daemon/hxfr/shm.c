/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "hostenc.shm"
#include "shm.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigbus.h"

struct he_shm_regions {
	GHashTable *paths; /* name -> path */
};

struct he_shm_regions *he_shm_regions_create(void)
{
	struct he_shm_regions *r = g_new0(struct he_shm_regions, 1);

	r->paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return r;
}

void he_shm_regions_destroy(struct he_shm_regions *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->paths);
	g_free(r);
}

gboolean he_shm_regions_add(struct he_shm_regions *r, const char *spec, GError **err)
{
	const char *eq = strchr(spec, '=');
	g_autofree char *name = eq ? g_strndup(spec, (gsize)(eq - spec)) : g_strdup("");
	const char *path = eq ? eq + 1 : spec;
	struct stat st;

	if (strlen(name) >= HXFR_SHORT_NAME_MAX) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--shm %s: region name longer than %u characters", spec,
			    HXFR_SHORT_NAME_MAX - 1);
		return FALSE;
	}
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "--shm %s: '%s' is not a regular file (%s); create it first, e.g. "
			    "truncate -s 64M %s", spec, path,
			    errno ? g_strerror(errno) : "not a file", path);
		return FALSE;
	}
	g_hash_table_replace(r->paths, g_steal_pointer(&name), g_strdup(path));
	return TRUE;
}

guint he_shm_regions_count(const struct he_shm_regions *r)
{
	return g_hash_table_size(r->paths);
}

/* Map the ring, watched for truncation (sigbus.h) before anything reads it. */
static struct he_shm *map_ring(int fd, const char *region, uint64_t offset, uint64_t size,
			       int32_t *code, const char **why)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t map_off = offset / (uint64_t)page * (uint64_t)page;
	size_t map_len = (size_t)(size + (offset - map_off));
	void *map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, (off_t)map_off);
	struct he_sigbus_range *watch;
	struct he_shm *s;

	if (map == MAP_FAILED) {
		*why = "host cannot map the shared region";
		return NULL;
	}
	watch = he_sigbus_watch(map, map_len);
	if (!watch) {
		munmap(map, map_len);
		*code = HXFR_ERR_LIMIT;
		*why = "host has too many shared-memory rings mapped";
		return NULL;
	}
	s = g_new0(struct he_shm, 1);
	s->ref = 1;
	s->region = g_strdup(region);
	s->map = map;
	s->map_len = map_len;
	s->watch = watch;
	s->base = (const uint8_t *)map + (offset - map_off);
	s->size = size;
	return s;
}

struct he_shm *he_shm_attach(struct he_shm_regions *r, const struct hxfr_shm_attach *req,
			     uint64_t max_size, int32_t *code, const char **why)
{
	const char *path = g_hash_table_lookup(r->paths, req->name);
	struct he_shm *s = NULL;
	struct stat st;
	int fd;

	*code = HXFR_ERR_SHM;
	if (!path) {
		*why = "no shared-memory region of that name is configured on the host";
		return NULL;
	}
	if (req->ring_size > max_size) {
		*code = HXFR_ERR_LIMIT;
		*why = "ring_size over the host's shared-memory limit";
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "host cannot open the shared-memory file";
		return NULL;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < req->ring_offset + req->ring_size) {
		*why = "ring_offset + ring_size past the end of the shared region";
		goto out;
	}
	s = map_ring(fd, req->name, req->ring_offset, req->ring_size, code, why);
	if (!s)
		goto out;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->offset = req->ring_offset;
	if (hxfr_ring_header_read(s->base, s->size, &s->ring, why) < 0 || he_shm_lost(s)) {
		/* a header read from a file truncated meanwhile is zeros */
		if (he_shm_lost(s))
			*why = "the shared-memory file was truncated while the host read the ring";
		he_shm_unref(s);
		s = NULL;
	} else if (s->ring.ring_id != req->ring_id) {
		/* A valid ring, but not the one this guest wrote: a stale ring
		 * from an earlier run, or a file that is not the guest's. */
		*why = "the ring in this region is not the sender's (ring_id differs): "
		       "is the host's --shm file the guest's shared memory?";
		he_shm_unref(s);
		s = NULL;
	}
out:
	close(fd);
	return s;
}

bool he_shm_lost(const struct he_shm *s)
{
	return he_sigbus_lost(s->watch);
}

bool he_shm_overlaps(const struct he_shm *a, const struct he_shm *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->offset < b->offset + b->size &&
	       b->offset < a->offset + a->size;
}

struct he_shm *he_shm_ref(struct he_shm *s)
{
	g_atomic_int_inc(&s->ref);
	return s;
}

void he_shm_unref(struct he_shm *s)
{
	if (!s || !g_atomic_int_dec_and_test(&s->ref))
		return;
	he_sigbus_unwatch(s->watch); /* first: no handler may zero-fill it once unmapped */
	munmap(s->map, s->map_len);
	g_free(s->region);
	g_free(s);
}
