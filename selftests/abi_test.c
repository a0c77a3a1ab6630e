// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests. The control ABI: spawn, map, unmap, touch, exit, reap
 * and SETIDS (with the Uid:/Gid: lines, owners and maps access following
 * it); how a process's exit drives its pprocs'; and bad input, each refused
 * with its errno and nothing left behind.
 * Needs root and the module under test ($VMAR_RACE_MODULE, see
 * vr_pproc_fixture.h) loaded. One behaviour per test.
 */
#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "vr_util.h"
#include "vr_pproc_fixture.h"

/* Every test gets a control file and one running pproc; teardown reaps. */
FIXTURE(abi) {
	struct vr_pprocs p;
};

FIXTURE_SETUP(abi)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(abi)
{
	vr_pprocs_teardown(&self->p);
}

TEST_F(abi, spawn_empty_name_is_default)
{
	char buf[1024];
	int pid = spawn_extra(&self->p, self->p.fd, "");

	ASSERT_LT(0, pid);
	ASSERT_LT(0, vr_read_status(pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\tpproc\n"));
}

TEST_F(abi, spawn_accepts_15_char_name)
{
	char buf[1024];
	int pid = spawn_extra(&self->p, self->p.fd, "abcdefghijklmno");

	ASSERT_LT(0, pid);
	ASSERT_LT(0, vr_read_status(pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\tabcdefghijklmno\n"));
}

TEST_F(abi, fresh_pproc_has_empty_vmar)
{
	EXPECT_EQ(0, status_field(self->p.pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->p.pid, "VmRSS"));
	EXPECT_EQ(0, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, map_grows_vmsize_not_rss)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 16 * PG));
	EXPECT_EQ(64, status_field(self->p.pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->p.pid, "VmRSS"));
	EXPECT_EQ(1, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, touch_grows_rss_anon)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 16 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 4 * PG));
	EXPECT_EQ(16, status_field(self->p.pid, "VmRSS"));
	EXPECT_EQ(16, status_field(self->p.pid, "RssAnon"));
	EXPECT_EQ(0, status_field(self->p.pid, "RssFile"));
}

TEST_F(abi, touch_file_grows_rss_file)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, VMAR_RACE_PROT_READ | VMAR_RACE_MAP_FILE,
			 BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE + PG, 3 * PG));
	EXPECT_EQ(12, status_field(self->p.pid, "RssFile"));
	EXPECT_EQ(0, status_field(self->p.pid, "RssAnon"));
	EXPECT_EQ(12, status_field(self->p.pid, "VmRSS"));
}

TEST_F(abi, touch_counts_a_page_once)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 4 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 6 * PG));
	EXPECT_EQ(24, status_field(self->p.pid, "RssAnon"));
}

TEST_F(abi, unmap_whole_mapping_frees_all)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 8 * PG));
	ASSERT_EQ(0, unmap(self->p.fd, self->p.pid, BASE, 8 * PG));
	EXPECT_EQ(0, status_field(self->p.pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->p.pid, "VmRSS"));
	EXPECT_EQ(0, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, unmap_middle_splits_mapping)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 8 * PG));
	ASSERT_EQ(0, unmap(self->p.fd, self->p.pid, BASE + 2 * PG, 2 * PG));
	EXPECT_EQ(2, status_field(self->p.pid, "Mappings"));
	EXPECT_EQ(24, status_field(self->p.pid, "VmSize"));
	EXPECT_EQ(24, status_field(self->p.pid, "RssAnon"));
	ASSERT_LT(0, read_maps(self->p.pid, buf, sizeof(buf)));
	EXPECT_STREQ("00010000-00012000 rw-p 00000000 00:00 0\n"
		     "00014000-00018000 rw-p 00000000 00:00 0\n", buf);
}

TEST_F(abi, unmap_of_nothing_succeeds)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, PG));
	EXPECT_EQ(0, unmap(self->p.fd, self->p.pid, 0x900000, 4 * PG));
	EXPECT_EQ(1, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, pid_not_reused_before_reap)
{
	int i, pid, zombie = self->p.pid;

	ASSERT_EQ(0, do_exit(self->p.fd, zombie));
	for (i = 0; i < 50; i++) {
		pid = vr_ctl_spawn(self->p.fd, "churn");
		ASSERT_LT(0, pid);
		EXPECT_NE(zombie, pid);
		ASSERT_EQ(0, do_exit(self->p.fd, pid));
		ASSERT_EQ(0, reap(self->p.fd, pid));
	}
	EXPECT_EQ(-EINVAL, do_exit(self->p.fd, zombie));	/* still our zombie */
}

TEST_F(abi, closing_spawner_exits_its_pprocs)
{
	int fd2 = open(vr_target.device, O_RDWR), a, b;
	char buf[1024];

	ASSERT_LE(0, fd2);
	a = spawn_extra(&self->p, fd2, "a");
	b = spawn_extra(&self->p, fd2, "b");
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	close(fd2);
	if (!strcmp(self->p.mode, "buggy")) {
		EXPECT_EQ(0, reap(self->p.fd, a));	/* reap needs a zombie */
		EXPECT_EQ(0, reap(self->p.fd, b));
		return;
	}
	ASSERT_LT(0, vr_read_status(a, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Z (zombie)"));
	ASSERT_LT(0, vr_read_status(b, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Z (zombie)"));
	EXPECT_EQ(0, status_field(self->p.pid, "VmSize"));	/* ours runs on */
}

TEST_F(abi, real_child_exit_drives_pproc_exit)
{
	int p[2], go[2], pid = 0, status;
	pid_t child;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd = open(vr_target.device, O_RDWR);
		char c;

		pid = vr_ctl_spawn(fd, "child");
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid) ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(pid), read(p[0], &pid, sizeof(pid)));
	ASSERT_LT(0, pid);
	self->p.extra[self->p.nextra++] = pid;
	EXPECT_EQ(-EINVAL, reap(self->p.fd, pid));	/* still running */
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, reap(self->p.fd, pid));		/* a zombie now */
}

TEST_F(abi, any_descriptor_may_reap)
{
	int fd2 = open(vr_target.device, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	EXPECT_EQ(0, reap(fd2, self->p.pid));
	close(fd2);
}

TEST_F(abi, unknown_ioctl_is_enotty)
{
	EXPECT_EQ(-ENOTTY, vr_ioctl(self->p.fd, _IO(VMAR_RACE_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, vr_ioctl(self->p.fd, _IOW('T', 0x01, int), NULL));
}

TEST_F(abi, bad_pointers_are_efault)
{
	long spawned = vr_stat("spawned");

	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, (void *)8));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_MAP, (void *)8));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_UNMAP, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_TOUCH, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_EXIT, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_REAP, (void *)-1L));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(abi, spawn_into_readonly_memory_leaves_nothing)
{
	static const struct vmar_race_spawn ro = { .name = "ro" };
	long spawned = vr_stat("spawned"), reaped = vr_stat("reaped");
	long alive = vr_stat("vmars_alive");

	/* Read works, writing the pid back does not: the spawn is undone. */
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, (void *)&ro));
	EXPECT_EQ(vr_stat("spawned") - spawned, vr_stat("reaped") - reaped);
	EXPECT_EQ(alive, vr_stat("vmars_alive"));
}

TEST_F(abi, spawn_flags_must_be_zero)
{
	struct vmar_race_spawn s = { .name = "f", .flags = 1 };

	EXPECT_EQ(-EINVAL, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, &s));
}

TEST_F(abi, spawn_name_without_nul_is_einval)
{
	struct vmar_race_spawn s;
	long spawned = vr_stat("spawned");

	memset(&s, 0, sizeof(s));
	memset(s.name, 'x', sizeof(s.name));
	EXPECT_EQ(-EINVAL, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, &s));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(abi, spawn_unprintable_name_is_einval)
{
	struct vmar_race_spawn s = { .name = "bad\nname" };
	struct vmar_race_spawn latin1 = { .name = "caf\xe9" };	/* isprint() in-kernel */
	long spawned = vr_stat("spawned");

	EXPECT_EQ(-EINVAL, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, &s));
	EXPECT_EQ(-EINVAL, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, &latin1));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(abi, unknown_pid_is_esrch)
{
	EXPECT_EQ(-ESRCH, map(self->p.fd, 4000000, RW, BASE, PG));
	EXPECT_EQ(-ESRCH, touch(self->p.fd, 0, BASE, PG));
	EXPECT_EQ(-ESRCH, do_exit(self->p.fd, -1));
	EXPECT_EQ(-ESRCH, reap(self->p.fd, 4000000));
	EXPECT_EQ(-ESRCH, reap(self->p.fd, 0));
}

TEST_F(abi, zero_length_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, BASE, 0));
	EXPECT_EQ(-EINVAL, unmap(self->p.fd, self->p.pid, BASE, 0));
	EXPECT_EQ(-EINVAL, touch(self->p.fd, self->p.pid, BASE, 0));
}

TEST_F(abi, unaligned_range_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, BASE + 1, PG));
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, BASE, PG - 1));
	EXPECT_EQ(-EINVAL, unmap(self->p.fd, self->p.pid, BASE + 512, PG));
	EXPECT_EQ(0, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, wrapping_range_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, 0xfffffffffffff000ull, 2 * PG));
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, 0xfffffffffffff000ull, PG));
	EXPECT_EQ(0, map(self->p.fd, self->p.pid, RW, 0xffffffffffffe000ull, PG));
}

TEST_F(abi, unknown_map_flags_are_einval)
{
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, 0x10, BASE, PG));
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, 0x80000000u, BASE, PG));
	EXPECT_EQ(0, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, unmap_and_touch_flags_must_be_zero)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, vr_map_op(self->p.fd, VMAR_RACE_IOC_UNMAP, self->p.pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, vr_map_op(self->p.fd, VMAR_RACE_IOC_TOUCH, self->p.pid, 1, BASE, PG));
	EXPECT_EQ(1, status_field(self->p.pid, "Mappings"));
	EXPECT_EQ(0, status_field(self->p.pid, "VmRSS"));
}

TEST_F(abi, overlapping_map_is_eexist)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 4 * PG));
	EXPECT_EQ(-EEXIST, map(self->p.fd, self->p.pid, RW, BASE + 3 * PG, 2 * PG));
	EXPECT_EQ(-EEXIST, map(self->p.fd, self->p.pid, RW, BASE - PG, 8 * PG));
	EXPECT_EQ(16, status_field(self->p.pid, "VmSize"));
	EXPECT_EQ(1, status_field(self->p.pid, "Mappings"));
}

TEST_F(abi, touch_of_unmapped_range_is_enomem)
{
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 2 * PG));
	EXPECT_EQ(-ENOMEM, touch(self->p.fd, self->p.pid, BASE, 3 * PG));
	EXPECT_EQ(0, status_field(self->p.pid, "VmRSS"));
}

TEST_F(abi, zombie_refuses_map_and_exit)
{
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	EXPECT_EQ(-EINVAL, map(self->p.fd, self->p.pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, touch(self->p.fd, self->p.pid, BASE, PG));
	EXPECT_EQ(-EINVAL, do_exit(self->p.fd, self->p.pid));
}

TEST_F(abi, reap_of_running_is_einval)
{
	EXPECT_EQ(-EINVAL, reap(self->p.fd, self->p.pid));
	EXPECT_EQ(0, status_field(self->p.pid, "VmSize"));
}

/* Live plus zombie pprocs, from the module's counters. */
static long nr_pprocs(void)
{
	return vr_stat("live") + vr_stat("zombie");
}

TEST_F(abi, max_procs_reached_is_eagain)
{
	long nr = nr_pprocs();
	char limit[32];

	ASSERT_LE(0, nr);
	snprintf(limit, sizeof(limit), "%ld", nr + 1);
	ASSERT_EQ(0, vr_param_write("max_procs", limit));
	ASSERT_LT(0, spawn_extra(&self->p, self->p.fd, "last"));
	EXPECT_EQ(-EAGAIN, vr_ctl_spawn(self->p.fd, "over"));
	EXPECT_EQ(nr + 1, nr_pprocs());
	EXPECT_EQ(-EINVAL, vr_param_write("max_procs", "0"));
	ASSERT_EQ(0, vr_param_write("max_procs", "32768"));
	EXPECT_LT(0, spawn_extra(&self->p, self->p.fd, "again"));
}

TEST_F(abi, max_maps_reached_is_enomem)
{
	ASSERT_EQ(0, vr_param_write("max_maps", "3"));
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, PG));
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE + 2 * PG, PG));
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE + 4 * PG, 4 * PG));
	EXPECT_EQ(-ENOMEM, map(self->p.fd, self->p.pid, RW, BASE + 16 * PG, PG));
	EXPECT_EQ(-ENOMEM, unmap(self->p.fd, self->p.pid, BASE + 5 * PG, PG));	/* split */
	EXPECT_EQ(3, status_field(self->p.pid, "Mappings"));
	EXPECT_EQ(24, status_field(self->p.pid, "VmSize"));
}

static int setids(int fd, int pid, unsigned int id, unsigned int flags)
{
	struct vmar_race_ids r = { .pid = pid, .flags = flags, .uid = id, .gid = id };

	return vr_ioctl(fd, VMAR_RACE_IOC_SETIDS, &r);
}

/* SETIDS (the third race's writer): each bad input refused, nothing changed. */
TEST_F(abi, setids_bad_input_changes_nothing)
{
	long setids_before = vr_stat("setids");
	char buf[1024];

	EXPECT_EQ(-EINVAL, setids(self->p.fd, self->p.pid, 1000, 1));
	EXPECT_EQ(-EINVAL, setids(self->p.fd, self->p.pid, (unsigned int)-1, 0));
	EXPECT_EQ(-ESRCH, setids(self->p.fd, 0, 1000, 0));
	EXPECT_EQ(-ESRCH, setids(self->p.fd, 1 << 22, 1000, 0));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SETIDS, (void *)8));
	read_status_or(self->p.pid, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "Uid:\t0\t0\t0\t0\n")) TH_LOG("%s", buf);
	EXPECT_EQ(setids_before, vr_stat("setids"));
	EXPECT_EQ(0, setids(self->p.fd, self->p.pid, 1000, 0));
	EXPECT_EQ(setids_before + 1, vr_stat("setids"));
}

TEST_F(abi, setids_of_zombie_is_einval)
{
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	EXPECT_EQ(-EINVAL, setids(self->p.fd, self->p.pid, 1000, 0));
}

#define NOBODY 65534u

/* SETIDS with a uid and a gid of its own. */
static int setids2(int fd, int pid, unsigned int uid, unsigned int gid)
{
	struct vmar_race_ids r = { .pid = pid, .uid = uid, .gid = gid };

	return vr_ioctl(fd, VMAR_RACE_IOC_SETIDS, &r);
}

/* Run @fn(pid) in a child that became nobody (no capabilities left). */
static int as_nobody(int (*fn)(int pid), int pid)
{
	pid_t kid = fork();
	int st;

	if (kid == 0)
		_exit(setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		      setresuid(NOBODY, NOBODY, NOBODY) ? 99 : fn(pid) & 0xff);
	if (kid < 0 || waitpid(kid, &st, 0) != kid || !WIFEXITED(st))
		return -1000;
	return (signed char)WEXITSTATUS(st);
}

static int open_maps_errno(int pid)
{
	int fd = open_file(pid, "maps");

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int ctl_fd = -1;

static int setids_errno(int pid)
{
	return setids(ctl_fd, pid, 1234, 0) ?: setids(ctl_fd, pid, 0, 0);
}

/* ---- SETIDS ---- */

TEST_F(abi, setids_changes_uid_and_gid_lines)
{
	long setids_before = vr_stat("setids");
	char buf[1024];

	ASSERT_EQ(0, setids2(self->p.fd, self->p.pid, 1000, 2000));
	read_status_or(self->p.pid, buf, sizeof(buf));
	EXPECT_TRUE(ids_are(buf, "Uid:", 1000)) TH_LOG("%s", buf);
	EXPECT_TRUE(ids_are(buf, "Gid:", 2000)) TH_LOG("%s", buf);
	EXPECT_EQ(setids_before + 1, vr_stat("setids"));
}

/* As setresuid(): an unprivileged caller may keep an id, not take one. */
TEST_F(abi, setids_without_cap_setuid_is_eperm_for_new_ids)
{
	ctl_fd = self->p.fd;
	/* 1234 is new: EPERM; 0 the pproc has (root's): allowed. */
	EXPECT_EQ(-EPERM, as_nobody(setids_errno, self->p.pid));
}

/* ---- the filesystem follows the current credentials ---- */

TEST_F(abi, owner_follows_setids)
{
	char path[64];
	struct stat st;

	ASSERT_EQ(0, setids2(self->p.fd, self->p.pid, 1000, 2000));
	ASSERT_EQ(0, stat(pproc_path(path, sizeof(path), self->p.pid, "status"), &st));
	EXPECT_EQ(1000u, st.st_uid);
	EXPECT_EQ(2000u, st.st_gid);
	ASSERT_EQ(0, stat(pproc_path(path, sizeof(path), self->p.pid, ""), &st));
	EXPECT_EQ(1000u, st.st_uid);
}

TEST_F(abi, maps_access_follows_setids)
{
	EXPECT_EQ(-EACCES, as_nobody(open_maps_errno, self->p.pid));
	ASSERT_EQ(0, setids(self->p.fd, self->p.pid, NOBODY, 0));
	EXPECT_EQ(0, as_nobody(open_maps_errno, self->p.pid));
}

/* SPAWN whose pid cannot be written back is undone before anyone sees it. */
TEST_F(abi, spawn_into_readonly_struct_is_never_published)
{
	struct vmar_race_spawn *ro = mmap(NULL, PG, PROT_READ,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long spawned = vr_stat("spawned"), live = vr_stat("live");
	long nr = nr_pprocs();

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, ro));
	EXPECT_EQ(spawned, vr_stat("spawned"));
	EXPECT_EQ(live, vr_stat("live"));
	EXPECT_EQ(nr, nr_pprocs());
	munmap(ro, PG);
}

struct unpublished_exiter {
	int fd, first, n;
	atomic_int stop, exited;
};

/* EXIT and MAP every pid the failing spawns below may be given. */
static void *unpublished_exit(void *arg)
{
	struct unpublished_exiter *u = arg;
	int pid;

	while (!atomic_load(&u->stop))
		for (pid = u->first; pid < u->first + u->n; pid++)
			if (!do_exit(u->fd, pid) || !map(u->fd, pid, RW, BASE, PG))
				atomic_fetch_add(&u->exited, 1);
	return NULL;
}

/*
 * A pid is not findable before SPAWN wrote it back: another thread that
 * guesses it (pids are cyclic: the next ones) cannot EXIT or MAP it while
 * the failing spawn is undone.
 */
TEST_F(abi, spawn_pid_unfindable_until_written_back)
{
	struct vmar_race_spawn *ro = mmap(NULL, PG, PROT_READ,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct unpublished_exiter u = { .fd = self->p.fd, .n = 200 };
	long nr = nr_pprocs();
	pthread_t t;
	int i;

	ASSERT_NE(MAP_FAILED, ro);
	u.first = self->p.pid + 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, unpublished_exit, &u));
	for (i = 0; i < u.n; i++)
		EXPECT_EQ(-EFAULT, vr_ioctl(self->p.fd, VMAR_RACE_IOC_SPAWN, ro));
	atomic_store(&u.stop, 1);
	pthread_join(t, NULL);
	EXPECT_EQ(0, atomic_load(&u.exited));
	EXPECT_EQ(nr, nr_pprocs());
	munmap(ro, PG);
}

/* A maps file longer than any first buffer (over 1 MiB) reads whole. */
TEST_F(abi, maps_of_a_big_vmar_read_whole)
{
	const int n = 27000;	/* 41-byte lines: 1.1 MB */
	size_t size = 2 << 20, len = 0;
	char path[64], *buf = malloc(size);
	int i, fd, lines = 0;
	ssize_t r;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE + 2ull * i * PG, PG));
	snprintf(path, sizeof(path), "%s/%d/maps", vr_target.proc_root, self->p.pid);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	while ((r = read(fd, buf + len, size - len)) > 0)
		len += r;
	EXPECT_EQ(0, r) TH_LOG("read: %s", strerror(errno));
	close(fd);
	for (i = 0; i < (int)len; i++)
		lines += buf[i] == '\n';
	EXPECT_EQ(n, lines);
	EXPECT_EQ(n, status_field(self->p.pid, "Mappings"));
	free(buf);
}

TEST_HARNESS_MAIN
