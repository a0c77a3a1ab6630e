// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests. The /proc files: status and maps of a running pproc, of a zombie and
 * after reap (Linux's /proc/<pid> contract), and the pid directories'
 * readdir and lookup.
 * Needs root and the module under test ($VMAR_RACE_MODULE, see
 * vr_pproc_fixture.h) loaded. One behaviour per test.
 */
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
FIXTURE(proc_files) {
	struct vr_pprocs p;
};

FIXTURE_SETUP(proc_files)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(proc_files)
{
	vr_pprocs_teardown(&self->p);
}

TEST_F(proc_files, spawn_shows_running_status)
{
	char buf[1024];

	ASSERT_LT(0, vr_read_status(self->p.pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\ttest\n"));
	EXPECT_NE(NULL, strstr(buf, "State:\tR (running)\n"));
	EXPECT_EQ(self->p.pid, vr_field(buf, "Pid"));
}

TEST_F(proc_files, ppid_is_spawner_tgid)
{
	EXPECT_EQ(getpid(), status_field(self->p.pid, "PPid"));
}

TEST_F(proc_files, maps_lists_mappings_in_order)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->p.fd, self->p.pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_EXEC |
			 VMAR_RACE_MAP_FILE, 0x400000, 2 * PG));
	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, PG));
	ASSERT_LT(0, read_maps(self->p.pid, buf, sizeof(buf)));
	EXPECT_STREQ("00010000-00011000 rw-p 00000000 00:00 0\n"
		     "00400000-00402000 r-xp 00000000 00:00 0    [vmar_race:file]\n", buf);
}

TEST_F(proc_files, maps_of_many_mappings_is_complete)
{
	char *buf = malloc(1 << 20);
	int i, lines = 0;
	char *p;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3000; i++)
		ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE + 2 * i * PG, PG));
	ASSERT_LT(0, read_maps(self->p.pid, buf, 1 << 20));
	for (p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	EXPECT_EQ(3000, lines);
	free(buf);
}

TEST_F(proc_files, exited_status_is_zombie_without_vm_lines)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	if (!strcmp(self->p.mode, "buggy"))
		SKIP(return, "buggy mode unwraps a zombie's VMAR");
	ASSERT_LT(0, vr_read_status(self->p.pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "State:\tZ (zombie)\n"));
	EXPECT_EQ(NULL, strstr(buf, "Vm"));
	EXPECT_EQ(NULL, strstr(buf, "Rss"));
	EXPECT_EQ(NULL, strstr(buf, "Mappings"));
}

TEST_F(proc_files, zombie_maps_is_empty)
{
	char buf[256];

	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	if (!strcmp(self->p.mode, "buggy"))
		SKIP(return, "buggy mode unwraps a zombie's VMAR");
	EXPECT_EQ(0, read_maps(self->p.pid, buf, sizeof(buf)));
}

TEST_F(proc_files, reap_removes_proc_directory)
{
	char buf[256];

	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	ASSERT_EQ(0, reap(self->p.fd, self->p.pid));
	EXPECT_EQ(-ENOENT, vr_read_status(self->p.pid, buf, sizeof(buf)));
}

TEST_F(proc_files, held_files_show_zombie_then_esrch_after_reap)
{
	bool buggy = !strcmp(self->p.mode, "buggy");	/* zombie reads: EIO */
	char buf[1024];
	int sfd, mfd;

	ASSERT_EQ(0, map(self->p.fd, self->p.pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, touch(self->p.fd, self->p.pid, BASE, 2 * PG));
	sfd = open_file(self->p.pid, "status");
	mfd = open_file(self->p.pid, "maps");
	ASSERT_LE(0, sfd);
	ASSERT_LE(0, mfd);
	ASSERT_LT(0, pread_all(sfd, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "VmSize:"));
	ASSERT_LT(0, pread_all(mfd, buf, sizeof(buf)));
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	if (buggy) {
		EXPECT_EQ(-EIO, pread_all(sfd, buf, sizeof(buf)));
		EXPECT_EQ(-EIO, pread_all(mfd, buf, sizeof(buf)));
	} else {
		ASSERT_LT(0, pread_all(sfd, buf, sizeof(buf)));
		EXPECT_NE(NULL, strstr(buf, "State:\tZ (zombie)\n"));
		EXPECT_EQ(NULL, strstr(buf, "Vm"));
		EXPECT_EQ(0, pread_all(mfd, buf, sizeof(buf)));	/* empty */
	}
	ASSERT_EQ(0, reap(self->p.fd, self->p.pid));
	EXPECT_EQ(-ESRCH, pread_all(sfd, buf, sizeof(buf)));
	EXPECT_EQ(-ESRCH, pread_all(mfd, buf, sizeof(buf)));
	close(sfd);
	close(mfd);
}

TEST_F(proc_files, openat_through_held_dir_is_esrch_after_reap)
{
	char path[64], buf[1024];
	struct stat st;
	int dfd, fd;

	pproc_path(path, sizeof(path), self->p.pid, "");
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	fd = openat(dfd, "status", O_RDONLY);		/* a zombie: still there */
	ASSERT_LE(0, fd);
	if (strcmp(self->p.mode, "buggy"))		/* buggy: EIO */
		EXPECT_LT(0, pread_all(fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_EQ(-1, openat(dfd, "nosuchfile", O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, reap(self->p.fd, self->p.pid));
	EXPECT_EQ(-1, openat(dfd, "status", O_RDONLY));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, openat(dfd, "maps", O_RDONLY));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	close(dfd);
}

TEST_F(proc_files, only_canonical_pid_names_exist)
{
	static const char * const fmts[] = { "%d/", "0%d", "+%d", "%d ", "%d\n" };
	char path[64], name[32];
	struct stat st;
	unsigned int i;

	pproc_path(path, sizeof(path), self->p.pid, "");
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0555u, st.st_mode & 07777);
	for (i = 1; i < ARRAY_SIZE(fmts); i++) {
		snprintf(name, sizeof(name), fmts[i], self->p.pid);
		snprintf(path, sizeof(path), "%s/%s", vr_target.proc_root, name);
		EXPECT_EQ(-1, stat(path, &st)) TH_LOG("%s exists", path);
	}
	EXPECT_EQ(-1, stat(pproc_path(path, sizeof(path), 0, ""), &st));
	EXPECT_EQ(-1, stat(pproc_path(path, sizeof(path), 4194304, ""), &st));
}

TEST_F(proc_files, readdir_lists_live_and_zombies_not_reaped)
{
	int zombie = spawn_extra(&self->p, self->p.fd, "z");
	int reaped = vr_ctl_spawn(self->p.fd, "r");
	int pids[4096], n, bad;

	ASSERT_LT(0, zombie);
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, do_exit(self->p.fd, zombie));
	ASSERT_EQ(0, do_exit(self->p.fd, reaped));
	ASSERT_EQ(0, reap(self->p.fd, reaped));
	n = list_pids(pids, 4096, &bad);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, bad);
	EXPECT_TRUE(listed(pids, n, self->p.pid));
	EXPECT_TRUE(listed(pids, n, zombie));
	EXPECT_FALSE(listed(pids, n, reaped));
}

TEST_HARNESS_MAIN
