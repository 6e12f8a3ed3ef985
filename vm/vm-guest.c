/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vm-guest.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vm-initramfs.h"

#ifdef __linux__
#include <elf.h>
#endif

#ifndef HVM_LIBEXECDIR
#define HVM_LIBEXECDIR "/usr/local/libexec/hostenc"
#endif

/* Bump when the layout of a cache entry changes. */
#define CACHE_FORMAT "hostenc-guest-1"
#define RES_INIT "/org/hostenc/vm/init.sh"
#define RES_DEMO "/org/hostenc/vm/demo.sh"

/* What /init needs to reach the host root; modprobe adds dependencies. */
static const char *const initramfs_modules[] = {
	"virtio_pci", "9pnet_virtio", "9p", "overlay",
};

static const char *const busybox_paths[] = {
	"/bin/busybox", "/usr/bin/busybox",
};

void
hvm_guest_free(HvmGuest *g)
{
	if (!g)
		return;
	g_free(g->kernel);
	g_free(g->kver);
	g_free(g->dir);
	g_free(g->initrd);
	g_free(g->script);
	g_free(g);
}

char *
hvm_guest_append(const HvmGuest *g)
{
	/* panic=1 with QEMU's -no-reboot turns a guest panic into an exit. */
	return g_strdup_printf("console=ttyS0 quiet consoleblank=0 panic=1 "
			       "hostenc.run=%s", g->script);
}

char *
hvm_guest_probe_append(const char *marker)
{
	return g_strdup_printf("console=ttyS0 quiet panic=1 hostenc.probe=%s",
			       marker);
}

static gint
compare_filenames(gconstpointer a, gconstpointer b)
{
	g_autofree char *ka = g_utf8_collate_key_for_filename(*(char **)a, -1);
	g_autofree char *kb = g_utf8_collate_key_for_filename(*(char **)b, -1);

	return strcmp(ka, kb);
}

gboolean
hvm_guest_find_kernel(char **kernel, char **kver, GError **error)
{
	const char *env = g_getenv("HOSTENC_VM_KERNEL");
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
	const char *leaf;
	const char *best;

	if (env && *env) {
		g_autofree char *base = g_path_get_basename(env);

		if (!g_str_has_prefix(base, "vmlinuz-")) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "HOSTENC_VM_KERNEL=%s: expected a "
				    "vmlinuz-VERSION file", env);
			return FALSE;
		}
		*kernel = g_strdup(env);
		*kver = g_strdup(base + strlen("vmlinuz-"));
		return TRUE;
	}
	dir = g_dir_open("/boot", 0, NULL);
	while (dir && (leaf = g_dir_read_name(dir))) {
		if (g_str_has_prefix(leaf, "vmlinuz-"))
			g_ptr_array_add(found, g_strdup(leaf));
	}
	if (found->len == 0) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "no /boot/vmlinuz-* for the demo guest: "
				    "install linux-image-amd64 (scripts/setup "
				    "does), or pass --kernel or --disk");
		return FALSE;
	}
	/* Natural order, so 6.10 sorts after 6.9. */
	g_ptr_array_sort(found, compare_filenames);
	best = g_ptr_array_index(found, found->len - 1);
	*kernel = g_build_filename("/boot", best, NULL);
	*kver = g_strdup(best + strlen("vmlinuz-"));
	return TRUE;
}

#ifdef __linux__
/* A dynamically linked busybox dies in the initramfs with no libc, long
 * after the cause is visible; check for an ELF interpreter up front. */
static gboolean
elf_is_static(const char *path)
{
	g_autofree char *buf = NULL;
	gsize len = 0;
	const Elf64_Ehdr *eh;

	if (!g_file_get_contents(path, &buf, &len, NULL) ||
	    len < sizeof(Elf64_Ehdr))
		return FALSE;
	eh = (const Elf64_Ehdr *)buf;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff + (guint64)eh->e_phnum * sizeof(Elf64_Phdr) > len)
		return FALSE;
	for (guint i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return FALSE;
	}
	return TRUE;
}
#else
static gboolean
elf_is_static(G_GNUC_UNUSED const char *path)
{
	return TRUE;
}
#endif

static char *
find_busybox(GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(busybox_paths); i++) {
		const char *p = busybox_paths[i];

		if (!g_file_test(p, G_FILE_TEST_IS_REGULAR))
			continue;
		if (elf_is_static(p))
			return g_strdup(p);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s is not statically linked: install "
			    "busybox-static (scripts/setup does)", p);
		return NULL;
	}
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no busybox for the demo guest: install "
			    "busybox-static (scripts/setup does)");
	return NULL;
}

static char *
find_modprobe(void)
{
	static const char *const fixed[] = {
		"/usr/sbin/modprobe", "/sbin/modprobe",
	};
	char *p = g_find_program_in_path("modprobe");

	for (size_t i = 0; !p && i < G_N_ELEMENTS(fixed); i++) {
		if (g_file_test(fixed[i], G_FILE_TEST_IS_EXECUTABLE))
			p = g_strdup(fixed[i]);
	}
	return p;
}

static gboolean
add_module_deps(const char *modprobe, const char *kver, const char *module,
		GPtrArray *paths, GError **error)
{
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_auto(GStrv) lines = NULL;

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				G_SUBPROCESS_FLAGS_STDERR_PIPE, error,
				modprobe, "-S", kver, "--show-depends", module,
				NULL);
	if (!proc || !g_subprocess_communicate_utf8(proc, NULL, NULL, &out,
						    &err, error))
		return FALSE;
	if (!g_subprocess_get_successful(proc)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "modprobe cannot resolve %s for kernel %s (%s): is "
			    "linux-image-%s fully installed?", module, kver,
			    g_strstrip(err), kver);
		return FALSE;
	}
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) words = g_strsplit(g_strstrip(*l), " ", 3);

		/* "builtin NAME" lines need nothing in the initramfs. */
		if (g_strv_length(words) < 2 || strcmp(words[0], "insmod") != 0)
			continue;
		if (!g_ptr_array_find_with_equal_func(paths, words[1],
						      g_str_equal, NULL))
			g_ptr_array_add(paths, g_strdup(words[1]));
	}
	return TRUE;
}

/* Module files in load order. */
static GPtrArray *
list_modules(const char *kver, GError **error)
{
	g_autofree char *modprobe = find_modprobe();
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

	if (!modprobe) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				    "modprobe not found: install kmod");
		return NULL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(initramfs_modules); i++) {
		if (!add_module_deps(modprobe, kver, initramfs_modules[i],
				     paths, error))
			return NULL;
	}
	return g_steal_pointer(&paths);
}

static char *
find_fbdemo(void)
{
	const char *env = g_getenv("HOSTENC_FBDEMO");
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *exedir = exe ? g_path_get_dirname(exe) : NULL;
	g_autofree char *in_build = NULL;
	g_autofree char *beside = NULL;

	if (env && *env)
		return g_strdup(env);
	if (exedir) {
		/* meson build tree: vm/hostenc-vm and vm/guest/hostenc-fbdemo */
		in_build = g_build_filename(exedir, "guest", "hostenc-fbdemo",
					    NULL);
		beside = g_build_filename(exedir, "hostenc-fbdemo", NULL);
		if (g_file_test(in_build, G_FILE_TEST_IS_EXECUTABLE))
			return g_steal_pointer(&in_build);
		if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
			return g_steal_pointer(&beside);
	}
	if (g_file_test(HVM_LIBEXECDIR "/hostenc-fbdemo",
			G_FILE_TEST_IS_EXECUTABLE))
		return g_strdup(HVM_LIBEXECDIR "/hostenc-fbdemo");
	return NULL;
}

static void
checksum_stat(GChecksum *sum, const char *path)
{
	GStatBuf st;

	g_checksum_update(sum, (const guchar *)path, strlen(path) + 1);
	if (g_stat(path, &st) == 0) {
		gint64 v[2] = { (gint64)st.st_size, (gint64)st.st_mtime };

		g_checksum_update(sum, (const guchar *)v, sizeof(v));
	}
}

static void
checksum_bytes(GChecksum *sum, GBytes *bytes)
{
	gsize len = 0;
	const guchar *data = g_bytes_get_data(bytes, &len);

	g_checksum_update(sum, data, len);
}

/* Everything the built files depend on, so a kernel upgrade, a rebuilt
 * fbdemo or an edited script gets a fresh entry without manual cleanup. */
typedef struct {
	char *busybox;
	GPtrArray *modules;
	char *fbdemo;		/* may be NULL: the demo runs without it */
	GBytes *init;
	GBytes *demo;
} Inputs;

static void
inputs_clear(Inputs *in)
{
	g_free(in->busybox);
	g_clear_pointer(&in->modules, g_ptr_array_unref);
	g_free(in->fbdemo);
	g_clear_pointer(&in->init, g_bytes_unref);
	g_clear_pointer(&in->demo, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Inputs, inputs_clear)

static gboolean
gather_inputs(const HvmGuest *g, Inputs *in, GError **error)
{
	g_autofree char *lib = g_build_filename("/lib/modules", g->kver, NULL);

	if (!g_file_test(lib, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "%s is missing for %s: reinstall linux-image-%s",
			    lib, g->kernel, g->kver);
		return FALSE;
	}
	in->busybox = find_busybox(error);
	if (!in->busybox)
		return FALSE;
	in->modules = list_modules(g->kver, error);
	if (!in->modules)
		return FALSE;
	in->init = g_resources_lookup_data(RES_INIT, 0, error);
	if (!in->init)
		return FALSE;
	in->demo = g_resources_lookup_data(RES_DEMO, 0, error);
	if (!in->demo)
		return FALSE;
	in->fbdemo = find_fbdemo();
	if (!in->fbdemo)
		g_warning("hostenc-fbdemo not found (set HOSTENC_FBDEMO): the "
			  "demo guest will run without it");
	return TRUE;
}

static char *
cache_key(const HvmGuest *g, const Inputs *in)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(sum, (const guchar *)CACHE_FORMAT,
			  strlen(CACHE_FORMAT));
	checksum_stat(sum, g->kernel);
	checksum_stat(sum, in->busybox);
	for (guint i = 0; i < in->modules->len; i++)
		checksum_stat(sum, g_ptr_array_index(in->modules, i));
	if (in->fbdemo)
		checksum_stat(sum, in->fbdemo);
	checksum_bytes(sum, in->init);
	checksum_bytes(sum, in->demo);
	return g_strndup(g_checksum_get_string(sum), 16);
}

static gboolean
add_path_file(HvmCpio *c, const char *name, const char *path, GError **error)
{
	g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, error);
	g_autoptr(GBytes) bytes = NULL;

	if (!map)
		return FALSE;
	bytes = g_mapped_file_get_bytes(map);
	return hvm_cpio_add_file(c, name, 0644, bytes, error);
}

static gboolean
add_modules(HvmCpio *c, GPtrArray *modules, GError **error)
{
	for (guint i = 0; i < modules->len; i++) {
		const char *path = g_ptr_array_index(modules, i);
		g_autofree char *base = g_path_get_basename(path);
		/* The number keeps modprobe's order in /init's glob. */
		g_autofree char *name = g_strdup_printf(
			"lib/hostenc-modules/%02u-%s", i + 1, base);

		if (!add_path_file(c, name, path, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
write_initramfs(const char *path, const Inputs *in, GError **error)
{
	static const char *const dirs[] = {
		"bin", "dev", "lib", "lib/hostenc-modules", "proc", "sys",
	};
	g_autoptr(HvmCpio) c = hvm_cpio_new(path, error);
	g_autoptr(GMappedFile) bb = NULL;

	if (!c)
		return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (!hvm_cpio_add_dir(c, dirs[i], error))
			return FALSE;
	}
	/* The kernel opens /dev/console for /init before devtmpfs exists. */
	if (!hvm_cpio_add_chardev(c, "dev/console", 0600, 5, 1, error) ||
	    !hvm_cpio_add_file(c, "init", 0755, in->init, error))
		return FALSE;
	bb = g_mapped_file_new(in->busybox, FALSE, error);
	if (!bb)
		return FALSE;
	{
		g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(bb);

		if (!hvm_cpio_add_file(c, "bin/busybox", 0755, bytes, error))
			return FALSE;
	}
	return add_modules(c, in->modules, error) &&
	       hvm_cpio_finish(c, error);
}

static gboolean
write_entry(const char *dir, const Inputs *in, GError **error)
{
	g_autofree char *initrd = g_build_filename(dir, "initramfs.img", NULL);
	g_autofree char *script = g_build_filename(dir, "demo.sh", NULL);
	gsize len = 0;
	const char *demo = g_bytes_get_data(in->demo, &len);

	if (!write_initramfs(initrd, in, error) ||
	    !g_file_set_contents(script, demo, (gssize)len, error))
		return FALSE;
	if (in->fbdemo) {
		g_autoptr(GFile) src = g_file_new_for_path(in->fbdemo);
		g_autofree char *dst_path = g_build_filename(
			dir, "hostenc-fbdemo", NULL);
		g_autoptr(GFile) dst = g_file_new_for_path(dst_path);

		if (!g_file_copy(src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL,
				 error) ||
		    g_chmod(dst_path, 0755) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Only our own files, so a wrong path can never delete anything else. */
static void
remove_entry(const char *dir)
{
	static const char *const leaves[] = {
		"initramfs.img", "demo.sh", "hostenc-fbdemo",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(leaves); i++) {
		g_autofree char *p = g_build_filename(dir, leaves[i], NULL);

		g_unlink(p);
	}
	g_rmdir(dir);
}

/* Build in a private temporary directory and rename it into place: two
 * hostenc-vm starting at once never see a half-built entry. */
static gboolean
build_entry(const char *cache_dir, const char *final, const Inputs *in,
	    GError **error)
{
	g_autofree char *tmp = g_build_filename(cache_dir, ".guest-XXXXXX",
						NULL);

	if (g_mkdir_with_parents(cache_dir, 0755) != 0 ||
	    !g_mkdtemp_full(tmp, 0755)) {
		int e = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "cannot create the cache dir %s: %s (set "
			    "--cache-dir or HOSTENC_CACHE_DIR)", cache_dir,
			    g_strerror(e));
		return FALSE;
	}
	if (!write_entry(tmp, in, error)) {
		remove_entry(tmp);
		return FALSE;
	}
	if (g_rename(tmp, final) != 0) {
		/* Lost the race to another hostenc-vm: its entry is as good. */
		remove_entry(tmp);
		if (!g_file_test(final, G_FILE_TEST_IS_DIR)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
				    "cannot create %s", final);
			return FALSE;
		}
	}
	return TRUE;
}

HvmGuest *
hvm_guest_ensure(const char *cache_dir, GError **error)
{
	g_autoptr(HvmGuest) g = g_new0(HvmGuest, 1);
	g_auto(Inputs) in = { 0 };
	g_autofree char *key = NULL;
	g_autofree char *leaf = NULL;

#ifdef __APPLE__
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "there is no demo guest on macOS (no Linux kernel "
			    "to borrow): pass --kernel or --disk");
	return NULL;
#endif
	if (!hvm_guest_find_kernel(&g->kernel, &g->kver, error) ||
	    !gather_inputs(g, &in, error))
		return NULL;
	key = cache_key(g, &in);
	leaf = g_strdup_printf("guest-%s", key);
	g->dir = g_build_filename(cache_dir, leaf, NULL);
	g->initrd = g_build_filename(g->dir, "initramfs.img", NULL);
	g->script = g_build_filename(g->dir, "demo.sh", NULL);
	if (g_file_test(g->initrd, G_FILE_TEST_IS_REGULAR))
		return g_steal_pointer(&g);
	g_printerr("hostenc-vm: building the demo guest in %s\n", g->dir);
	if (!build_entry(cache_dir, g->dir, &in, error))
		return NULL;
	return g_steal_pointer(&g);
}
