// SPDX-License-Identifier: BSD-2-Clause
/* cgroup v2: a handle on its root, and the path of a cgroup id. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "proc.h"

static int root_fd = -1;

static int open_mounted(void)
{
	struct mntent *m;
	FILE *f;
	int fd = -ENOENT;

	f = setmntent("/proc/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			fd = open(m->mnt_dir, O_RDONLY | O_DIRECTORY);
			if (fd < 0)
				fd = -errno;
			break;
		}
	}
	endmntent(f);
	return fd;
}

/*
 * Mount cgroup v2 on a temporary directory, open its root and detach the
 * mount again: the open directory stays usable.
 */
static int open_private_mount(void)
{
	char dir[] = "/tmp/tlsfp-cgroup.XXXXXX";
	int fd;

	if (!mkdtemp(dir))
		return -errno;
	if (mount("cgroup2", dir, "cgroup2", 0, NULL)) {
		fd = -errno;
		rmdir(dir);
		return fd;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		fd = -errno;
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return fd;
}

/*
 * Open the cgroup v2 root: the mount in /proc/mounts (/sys/fs/cgroup on
 * most systems, /sys/fs/cgroup/unified with the hybrid layout), or, when
 * none is visible, as under "ip netns exec", which mounts a fresh /sys, a
 * private mount.  The descriptor is kept open for tlsfp_cgroup_path().
 * Returns it, or -errno.
 */
int tlsfp_cgroup2_open(void)
{
	int fd;

	if (root_fd >= 0)
		return root_fd;
	fd = open_mounted();
	if (fd == -ENOENT)
		fd = open_private_mount();
	if (fd >= 0)
		root_fd = fd;
	return fd;
}

#define PATH_CACHE 64

static struct {
	uint64_t id;
	char path[PATH_MAX];
} cache[PATH_CACHE];
static unsigned int cache_next;

static uint64_t wanted_id;
static char found[PATH_MAX];
static size_t root_len;

static int match_inode(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	if (type != FTW_D || (uint64_t)st->st_ino != wanted_id)
		return 0;
	snprintf(found, sizeof(found), "%s", path[root_len] ? path + root_len :
		 "/");
	return 1;
}

/*
 * Path of a cgroup, relative to the cgroup v2 root, from its id: on cgroup
 * v2 the id is the inode number of the cgroup's directory.  Returns NULL if
 * it is not found (the cgroup may be gone).  Results are cached.
 */
const char *tlsfp_cgroup_path(uint64_t id)
{
	char root[64];
	unsigned int i;

	for (i = 0; i < PATH_CACHE; i++) {
		if (cache[i].id == id && id)
			return cache[i].path;
	}
	if (root_fd < 0)
		return NULL;
	/* The trailing "/." makes nftw enter the directory, not the link. */
	snprintf(root, sizeof(root), "/proc/self/fd/%d/.", root_fd);
	wanted_id = id;
	root_len = strlen(root);
	found[0] = '\0';
	if (nftw(root, match_inode, 16, FTW_PHYS) != 1)
		return NULL;
	i = cache_next++ % PATH_CACHE;
	cache[i].id = id;
	snprintf(cache[i].path, sizeof(cache[i].path), "%s", found);
	return cache[i].path;
}
