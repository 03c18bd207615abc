// SPDX-License-Identifier: BSD-2-Clause
/*
 * --pin DIR: pin every map of the run under DIR, named as in the BPF
 * object (DIR/flows, DIR/counters, DIR/block_a ...), so that
 * "bpftool map dump pinned DIR/flows" reads them while tlsfp runs.  The
 * pins are removed at exit; a pin keeps its map alive, so one left behind
 * would hold the map's memory until it is removed.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pin.h"
#include "tlsfp.skel.h"

static int pin_path(const struct tlsfp_pin *p, const struct bpf_map *map,
		    char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", p->dir, bpf_map__name(map));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Whether path is on a BPF file system: 1, 0, or -errno. */
static int on_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

/*
 * Check that DIR, or its parent when DIR does not exist yet, is on a BPF
 * file system, before anything is loaded.
 */
int tlsfp_pin_check_dir(const char *dir)
{
	char parent[PATH_MAX];
	const char *where = dir;
	int ret;

	ret = on_bpffs(dir);
	if (ret == -ENOENT) {
		snprintf(parent, sizeof(parent), "%s", dir);
		where = dirname(parent);
		ret = on_bpffs(where);
	}
	if (ret < 0) {
		pr_err("--pin %s: %s: %s", dir, where, strerror(-ret));
		return ret;
	}
	if (!ret) {
		pr_err("--pin %s: %s is not on a BPF file system (use a directory under /sys/fs/bpf, or mount one: mount -t bpf bpf DIR)",
		       dir, where);
		return -EINVAL;
	}
	return 0;
}

static bool pinnable(const struct bpf_map *map)
{
	/* .rodata and .bss belong to the program, not to its data. */
	return !bpf_map__is_internal(map);
}

/* Pin every map under dir, making dir if needed.  Undone on failure. */
int tlsfp_pin_maps(struct tlsfp_pin *p, struct tlsfp_bpf *skel,
		   const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->skel = skel;
	if (mkdir(dir, 0755) == 0) {
		p->created = true;
	} else if (errno != EEXIST) {
		err = -errno;
		pr_err("--pin %s: create directory: %s", dir, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (!pinnable(map))
			continue;
		err = pin_path(p, map, path, sizeof(path));
		if (!err && !access(path, F_OK))
			err = -EEXIST;
		if (!err)
			err = bpf_map__pin(map, path);
		if (err) {
			pr_err("--pin %s: pin %s: %s%s", dir, path,
			       strerror(-err), err == -EEXIST ?
			       " (left by another run? remove it with rm, or pin elsewhere)" :
			       "");
			tlsfp_pin_remove(p);
			return err;
		}
	}
	pr_info("maps pinned under %s", dir);
	return 0;
}

/*
 * Give a directory that tlsfp made to the -Z user, who must be able to
 * remove the pins in it at exit.
 */
int tlsfp_pin_chown(const struct tlsfp_pin *p, uid_t uid, gid_t gid)
{
	int err;

	if (!p->dir || !p->created)
		return 0;
	if (chown(p->dir, uid, gid)) {
		err = -errno;
		pr_err("--pin %s: chown to uid %u: %s", p->dir,
		       (unsigned int)uid, strerror(-err));
		return err;
	}
	return 0;
}

/* Remove the pins made by this run, and DIR if tlsfp made it. */
void tlsfp_pin_remove(struct tlsfp_pin *p)
{
	char path[PATH_MAX];
	struct bpf_map *map;

	if (!p->dir || !p->skel)
		return;
	bpf_object__for_each_map(map, p->skel->obj) {
		if (!bpf_map__is_pinned(map))
			continue;
		if (bpf_map__unpin(map, NULL)) {
			pin_path(p, map, path, sizeof(path));
			pr_warn("--pin: remove %s: %s (remove it by hand: rm %s)",
				path, strerror(errno), path);
		}
	}
	if (p->created && rmdir(p->dir))
		pr_warn("--pin: remove directory %s: %s", p->dir,
			strerror(errno));
	p->dir = NULL;
}
