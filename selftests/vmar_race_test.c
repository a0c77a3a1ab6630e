// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests: the control ABI's contract, bad input, and the race
 * under whatever read mode the module was loaded with. Needs root and the
 * module loaded (see config). One behaviour per test.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vr_util.h"

#define PG VMAR_RACE_PAGE_SIZE
#define RW (VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE)
#define BASE 0x10000ull

/* /proc/vmar_race is the module's filesystem: mount it if root and not yet. */
static void __attribute__((constructor)) mount_vmar_race(void)
{
	vr_mount();
}

static long status_field(int pid, const char *key)
{
	char buf[1024];

	if (vr_read_status(pid, buf, sizeof(buf)) < 0)
		return -2;
	return vr_field(buf, key);
}

/* The status text, or "" when it cannot be read. */
static const char *read_status_or(int pid, char *buf, size_t size)
{
	if (vr_read_status(pid, buf, size) < 0)
		buf[0] = '\0';
	return buf;
}

static int read_maps(int pid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/maps", pid);
	return vr_read_file(path, buf, size);
}

static int map(int fd, int pid, unsigned int flags, unsigned long long start,
	       unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, flags, start, len);
}

static int unmap(int fd, int pid, unsigned long long start, unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_UNMAP, pid, 0, start, len);
}

static int touch(int fd, int pid, unsigned long long start, unsigned long long len)
{
	return vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pid, 0, start, len);
}

static int do_exit(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pid);
}

static int reap(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_REAP, pid);
}

/* Every test gets a control file and one running pproc; teardown reaps. */
FIXTURE(ctl) {
	int fd;
	int pid;
	int extra[64];
	int nextra;
	char mode[32], max_procs[32], max_maps[32];
};

FIXTURE_SETUP(ctl)
{
	self->fd = open(VMAR_RACE_DEVICE, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "vmar_race is not loaded");
	ASSERT_LE(0, self->fd);
	self->pid = vr_ctl_spawn(self->fd, "test");
	ASSERT_LT(0, self->pid);
	self->nextra = 0;
	vr_param_read("mode", self->mode, sizeof(self->mode));
	vr_param_read("max_procs", self->max_procs, sizeof(self->max_procs));
	vr_param_read("max_maps", self->max_maps, sizeof(self->max_maps));
}

FIXTURE_TEARDOWN(ctl)
{
	int i, fd = open(VMAR_RACE_DEVICE, O_RDWR);

	if (!access(VMAR_RACE_PAUSE, W_OK))
		vr_pause_cmd("reset");	/* a failed pause test leaves nothing armed */

	vr_param_write("mode", self->mode);
	vr_param_write("max_procs", self->max_procs);
	vr_param_write("max_maps", self->max_maps);
	close(self->fd);		/* exits what still runs */
	reap(fd, self->pid);
	for (i = 0; i < self->nextra; i++)
		reap(fd, self->extra[i]);
	close(fd);
}

static int spawn_extra(struct _test_data_ctl *self, int fd, const char *name)
{
	int pid = vr_ctl_spawn(fd, name);

	if (pid > 0 && self->nextra < 64)
		self->extra[self->nextra++] = pid;
	return pid;
}

/* ---- contract ---- */

TEST_F(ctl, spawn_shows_running_status)
{
	char buf[1024];

	ASSERT_LT(0, vr_read_status(self->pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\ttest\n"));
	EXPECT_NE(NULL, strstr(buf, "State:\tR (running)\n"));
	EXPECT_EQ(self->pid, vr_field(buf, "Pid"));
}

TEST_F(ctl, spawn_empty_name_is_default)
{
	char buf[1024];
	int pid = spawn_extra(self, self->fd, "");

	ASSERT_LT(0, pid);
	ASSERT_LT(0, vr_read_status(pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\tpproc\n"));
}

TEST_F(ctl, spawn_accepts_15_char_name)
{
	char buf[1024];
	int pid = spawn_extra(self, self->fd, "abcdefghijklmno");

	ASSERT_LT(0, pid);
	ASSERT_LT(0, vr_read_status(pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Name:\tabcdefghijklmno\n"));
}

TEST_F(ctl, ppid_is_spawner_tgid)
{
	EXPECT_EQ(getpid(), status_field(self->pid, "PPid"));
}

TEST_F(ctl, fresh_pproc_has_empty_vmar)
{
	EXPECT_EQ(0, status_field(self->pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->pid, "VmRSS"));
	EXPECT_EQ(0, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, map_grows_vmsize_not_rss)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 16 * PG));
	EXPECT_EQ(64, status_field(self->pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->pid, "VmRSS"));
	EXPECT_EQ(1, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, touch_grows_rss_anon)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 16 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 4 * PG));
	EXPECT_EQ(16, status_field(self->pid, "VmRSS"));
	EXPECT_EQ(16, status_field(self->pid, "RssAnon"));
	EXPECT_EQ(0, status_field(self->pid, "RssFile"));
}

TEST_F(ctl, touch_file_grows_rss_file)
{
	ASSERT_EQ(0, map(self->fd, self->pid, VMAR_RACE_PROT_READ | VMAR_RACE_MAP_FILE,
			 BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE + PG, 3 * PG));
	EXPECT_EQ(12, status_field(self->pid, "RssFile"));
	EXPECT_EQ(0, status_field(self->pid, "RssAnon"));
	EXPECT_EQ(12, status_field(self->pid, "VmRSS"));
}

TEST_F(ctl, touch_counts_a_page_once)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 4 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 6 * PG));
	EXPECT_EQ(24, status_field(self->pid, "RssAnon"));
}

TEST_F(ctl, unmap_whole_mapping_frees_all)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 8 * PG));
	ASSERT_EQ(0, unmap(self->fd, self->pid, BASE, 8 * PG));
	EXPECT_EQ(0, status_field(self->pid, "VmSize"));
	EXPECT_EQ(0, status_field(self->pid, "VmRSS"));
	EXPECT_EQ(0, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, unmap_middle_splits_mapping)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 8 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 8 * PG));
	ASSERT_EQ(0, unmap(self->fd, self->pid, BASE + 2 * PG, 2 * PG));
	EXPECT_EQ(2, status_field(self->pid, "Mappings"));
	EXPECT_EQ(24, status_field(self->pid, "VmSize"));
	EXPECT_EQ(24, status_field(self->pid, "RssAnon"));
	ASSERT_LT(0, read_maps(self->pid, buf, sizeof(buf)));
	EXPECT_STREQ("00010000-00012000 rw-p 00000000 00:00 0\n"
		     "00014000-00018000 rw-p 00000000 00:00 0\n", buf);
}

TEST_F(ctl, unmap_of_nothing_succeeds)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, PG));
	EXPECT_EQ(0, unmap(self->fd, self->pid, 0x900000, 4 * PG));
	EXPECT_EQ(1, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, maps_lists_mappings_in_order)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->fd, self->pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_EXEC |
			 VMAR_RACE_MAP_FILE, 0x400000, 2 * PG));
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, PG));
	ASSERT_LT(0, read_maps(self->pid, buf, sizeof(buf)));
	EXPECT_STREQ("00010000-00011000 rw-p 00000000 00:00 0\n"
		     "00400000-00402000 r-xp 00000000 00:00 0    [vmar_race:file]\n", buf);
}

TEST_F(ctl, maps_of_many_mappings_is_complete)
{
	char *buf = malloc(1 << 20);
	int i, lines = 0;
	char *p;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3000; i++)
		ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE + 2 * i * PG, PG));
	ASSERT_LT(0, read_maps(self->pid, buf, 1 << 20));
	for (p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	EXPECT_EQ(3000, lines);
	free(buf);
}

TEST_F(ctl, exited_status_is_zombie_without_vm_lines)
{
	char buf[1024];

	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	if (!strcmp(self->mode, "buggy"))
		SKIP(return, "buggy mode unwraps a zombie's VMAR");
	ASSERT_LT(0, vr_read_status(self->pid, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "State:\tZ (zombie)\n"));
	EXPECT_EQ(NULL, strstr(buf, "Vm"));
	EXPECT_EQ(NULL, strstr(buf, "Rss"));
	EXPECT_EQ(NULL, strstr(buf, "Mappings"));
}

TEST_F(ctl, zombie_maps_is_empty)
{
	char buf[256];

	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	if (!strcmp(self->mode, "buggy"))
		SKIP(return, "buggy mode unwraps a zombie's VMAR");
	EXPECT_EQ(0, read_maps(self->pid, buf, sizeof(buf)));
}

TEST_F(ctl, reap_removes_proc_directory)
{
	char buf[256];

	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	ASSERT_EQ(0, reap(self->fd, self->pid));
	EXPECT_EQ(-ENOENT, vr_read_status(self->pid, buf, sizeof(buf)));
}

TEST_F(ctl, pid_not_reused_before_reap)
{
	int i, pid, zombie = self->pid;

	ASSERT_EQ(0, do_exit(self->fd, zombie));
	for (i = 0; i < 50; i++) {
		pid = vr_ctl_spawn(self->fd, "churn");
		ASSERT_LT(0, pid);
		EXPECT_NE(zombie, pid);
		ASSERT_EQ(0, do_exit(self->fd, pid));
		ASSERT_EQ(0, reap(self->fd, pid));
	}
	EXPECT_EQ(-EINVAL, do_exit(self->fd, zombie));	/* still our zombie */
}

TEST_F(ctl, closing_spawner_exits_its_pprocs)
{
	int fd2 = open(VMAR_RACE_DEVICE, O_RDWR), a, b;
	char buf[1024];

	ASSERT_LE(0, fd2);
	a = spawn_extra(self, fd2, "a");
	b = spawn_extra(self, fd2, "b");
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	close(fd2);
	if (!strcmp(self->mode, "buggy")) {
		EXPECT_EQ(0, reap(self->fd, a));	/* reap needs a zombie */
		EXPECT_EQ(0, reap(self->fd, b));
		return;
	}
	ASSERT_LT(0, vr_read_status(a, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Z (zombie)"));
	ASSERT_LT(0, vr_read_status(b, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "Z (zombie)"));
	EXPECT_EQ(0, status_field(self->pid, "VmSize"));	/* ours runs on */
}

TEST_F(ctl, real_child_exit_drives_pproc_exit)
{
	int p[2], go[2], pid = 0, status;
	pid_t child;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd = open(VMAR_RACE_DEVICE, O_RDWR);
		char c;

		pid = vr_ctl_spawn(fd, "child");
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid) ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(pid), read(p[0], &pid, sizeof(pid)));
	ASSERT_LT(0, pid);
	self->extra[self->nextra++] = pid;
	EXPECT_EQ(-EINVAL, reap(self->fd, pid));	/* still running */
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, reap(self->fd, pid));		/* a zombie now */
}

TEST_F(ctl, any_descriptor_may_reap)
{
	int fd2 = open(VMAR_RACE_DEVICE, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	EXPECT_EQ(0, reap(fd2, self->pid));
	close(fd2);
}

/* ---- /proc/vmar_race after exit and reap: Linux's /proc/<pid> contract ---- */

static int open_file(int pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/%s", pid, name);
	return open(path, O_RDONLY);
}

/* read() from offset 0: bytes read, or -errno. */
static ssize_t pread_all(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

TEST_F(ctl, held_files_show_zombie_then_esrch_after_reap)
{
	bool buggy = !strcmp(self->mode, "buggy");	/* zombie reads: EIO */
	char buf[1024];
	int sfd, mfd;

	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 4 * PG));
	ASSERT_EQ(0, touch(self->fd, self->pid, BASE, 2 * PG));
	sfd = open_file(self->pid, "status");
	mfd = open_file(self->pid, "maps");
	ASSERT_LE(0, sfd);
	ASSERT_LE(0, mfd);
	ASSERT_LT(0, pread_all(sfd, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "VmSize:"));
	ASSERT_LT(0, pread_all(mfd, buf, sizeof(buf)));
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	if (buggy) {
		EXPECT_EQ(-EIO, pread_all(sfd, buf, sizeof(buf)));
		EXPECT_EQ(-EIO, pread_all(mfd, buf, sizeof(buf)));
	} else {
		ASSERT_LT(0, pread_all(sfd, buf, sizeof(buf)));
		EXPECT_NE(NULL, strstr(buf, "State:\tZ (zombie)\n"));
		EXPECT_EQ(NULL, strstr(buf, "Vm"));
		EXPECT_EQ(0, pread_all(mfd, buf, sizeof(buf)));	/* empty */
	}
	ASSERT_EQ(0, reap(self->fd, self->pid));
	EXPECT_EQ(-ESRCH, pread_all(sfd, buf, sizeof(buf)));
	EXPECT_EQ(-ESRCH, pread_all(mfd, buf, sizeof(buf)));
	close(sfd);
	close(mfd);
}

TEST_F(ctl, openat_through_held_dir_is_esrch_after_reap)
{
	char path[64], buf[1024];
	struct stat st;
	int dfd, fd;

	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d", self->pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	fd = openat(dfd, "status", O_RDONLY);		/* a zombie: still there */
	ASSERT_LE(0, fd);
	if (strcmp(self->mode, "buggy"))		/* buggy: EIO */
		EXPECT_LT(0, pread_all(fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_EQ(-1, openat(dfd, "nosuchfile", O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, reap(self->fd, self->pid));
	EXPECT_EQ(-1, openat(dfd, "status", O_RDONLY));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, openat(dfd, "maps", O_RDONLY));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	close(dfd);
}

TEST_F(ctl, only_canonical_pid_names_exist)
{
	static const char * const fmts[] = { "%d/", "0%d", "+%d", "%d ", "%d\n" };
	char path[64], name[32];
	struct stat st;
	unsigned int i;

	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d", self->pid);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0555u, st.st_mode & 07777);
	for (i = 1; i < ARRAY_SIZE(fmts); i++) {
		snprintf(name, sizeof(name), fmts[i], self->pid);
		snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%s", name);
		EXPECT_EQ(-1, stat(path, &st)) TH_LOG("%s exists", path);
	}
	EXPECT_EQ(-1, stat(VMAR_RACE_PROC_ROOT "/0", &st));
	EXPECT_EQ(-1, stat(VMAR_RACE_PROC_ROOT "/4194304", &st));
}

/* The pids readdir lists, in order; returns how many (or -1 on a dup). */
static int list_pids(int *pids, int max, int *out_of_order)
{
	DIR *d = opendir(VMAR_RACE_PROC_ROOT);
	struct dirent *e;
	int n = 0, last = 0;

	*out_of_order = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;	/* . and .. */
		if (pid <= last)
			(*out_of_order)++;
		last = pid;
		if (n < max)
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

static bool listed(const int *pids, int n, int pid)
{
	while (n--)
		if (pids[n] == pid)
			return true;
	return false;
}

TEST_F(ctl, readdir_lists_live_and_zombies_not_reaped)
{
	int zombie = spawn_extra(self, self->fd, "z");
	int reaped = vr_ctl_spawn(self->fd, "r");
	int pids[4096], n, bad;

	ASSERT_LT(0, zombie);
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, do_exit(self->fd, zombie));
	ASSERT_EQ(0, do_exit(self->fd, reaped));
	ASSERT_EQ(0, reap(self->fd, reaped));
	n = list_pids(pids, 4096, &bad);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, bad);
	EXPECT_TRUE(listed(pids, n, self->pid));
	EXPECT_TRUE(listed(pids, n, zombie));
	EXPECT_FALSE(listed(pids, n, reaped));
}

/* Many readdirs while pprocs come and go: no duplicates, pid order, and no
 * pid that was reaped before the readdir began.
 */
#define CHURN_PIDS 4194304
struct churn {
	atomic_int stop;
	atomic_long epoch;		/* bumped after each reap */
	atomic_long *reaped_at;		/* pid -> epoch of its reap, 0: not */
	atomic_long lists, dups, stale, listed;
};

static void *churn_reader(void *arg)
{
	static __thread int pids[8192];
	struct churn *c = arg;
	int n, bad, i;
	long e0;

	while (!c->stop) {
		e0 = c->epoch;
		n = list_pids(pids, 8192, &bad);
		c->lists++;
		c->dups += bad;
		for (i = 0; i < n; i++) {
			long at = c->reaped_at[pids[i]];

			if (at && at <= e0)
				c->stale++;
		}
		c->listed += n;
	}
	return NULL;
}

TEST_F_TIMEOUT(ctl, readdir_during_spawn_and_reap, 120)
{
	struct churn c = { 0 };
	pthread_t tid[3];
	int i, k, live[16] = { 0 };
	double end;

	c.reaped_at = calloc(CHURN_PIDS, sizeof(*c.reaped_at));
	ASSERT_NE(NULL, c.reaped_at);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, churn_reader, &c));
	end = vr_now() + 3;
	for (k = 0; vr_now() < end; k = (k + 1) % 16) {
		if (live[k]) {
			ASSERT_EQ(0, do_exit(self->fd, live[k]));
			ASSERT_EQ(0, reap(self->fd, live[k]));
			c.reaped_at[live[k]] = ++c.epoch;
		}
		live[k] = vr_ctl_spawn(self->fd, "churn");
		ASSERT_LT(0, live[k]);
		ASSERT_GT(CHURN_PIDS, live[k]);
	}
	c.stop = 1;
	for (i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);
	for (k = 0; k < 16; k++)
		if (live[k] && !do_exit(self->fd, live[k]))
			reap(self->fd, live[k]);
	TH_LOG("%ld readdirs listing %ld pids against %ld reaps", (long)c.lists,
	       (long)c.listed, (long)c.epoch);
	EXPECT_LT(10, c.lists);
	EXPECT_LT(100, c.epoch);
	EXPECT_EQ(0, c.dups);
	EXPECT_EQ(0, c.stale);
	free(c.reaped_at);
}

TEST_F(ctl, stats_follow_lifecycle)
{
	long spawned = vr_stat("spawned"), exited = vr_stat("exited");
	long reaped = vr_stat("reaped"), alive = vr_stat("vmars_alive");
	long live = vr_stat("live"), zombie = vr_stat("zombie");
	int pid = vr_ctl_spawn(self->fd, "s");

	ASSERT_LT(0, pid);
	EXPECT_EQ(spawned + 1, vr_stat("spawned"));
	EXPECT_EQ(live + 1, vr_stat("live"));
	EXPECT_EQ(alive + 1, vr_stat("vmars_alive"));
	ASSERT_EQ(0, do_exit(self->fd, pid));
	EXPECT_EQ(exited + 1, vr_stat("exited"));
	EXPECT_EQ(zombie + 1, vr_stat("zombie"));
	EXPECT_EQ(alive, vr_stat("vmars_alive"));
	ASSERT_EQ(0, reap(self->fd, pid));
	EXPECT_EQ(reaped + 1, vr_stat("reaped"));
	EXPECT_EQ(zombie, vr_stat("zombie"));
}

TEST_F(ctl, stats_count_status_and_zombie_reads)
{
	long reads = vr_stat("status_reads"), zreads = vr_stat("zombie_reads");
	char buf[512];

	ASSERT_LT(0, vr_read_status(self->pid, buf, sizeof(buf)));
	EXPECT_EQ(reads + 1, vr_stat("status_reads"));
	EXPECT_EQ(zreads, vr_stat("zombie_reads"));
	if (!strcmp(self->mode, "buggy"))
		return;
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	ASSERT_LT(0, vr_read_status(self->pid, buf, sizeof(buf)));
	EXPECT_EQ(zreads + 1, vr_stat("zombie_reads"));
}

TEST_F(ctl, param_mode_accepts_every_mode)
{
	static const char * const modes[] = { "checked", "fixed", "rcu", "uaf", "buggy" };
	char buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_EQ(0, vr_param_write("mode", modes[i]));
		vr_param_read("mode", buf, sizeof(buf));
		EXPECT_STREQ(modes[i], buf);
	}
}

TEST_F(ctl, param_mode_rejects_unknown)
{
	char buf[32];

	EXPECT_EQ(-EINVAL, vr_param_write("mode", "bogus"));
	EXPECT_EQ(-EINVAL, vr_param_write("mode", "\n"));
	EXPECT_EQ(-EINVAL, vr_param_write("mode", "fixedx"));
	vr_param_read("mode", buf, sizeof(buf));
	EXPECT_STREQ(self->mode, buf);
}

TEST_F(ctl, param_unwrap_fail_validated)
{
	char old[32], buf[32];

	vr_param_read("unwrap_fail", old, sizeof(old));
	EXPECT_EQ(-EINVAL, vr_param_write("unwrap_fail", "explode"));
	vr_param_read("unwrap_fail", buf, sizeof(buf));
	EXPECT_STREQ(old, buf);
	ASSERT_EQ(0, vr_param_write("unwrap_fail", "warn"));
	vr_param_read("unwrap_fail", buf, sizeof(buf));
	EXPECT_STREQ("warn", buf);
	ASSERT_EQ(0, vr_param_write("unwrap_fail", old));
}

TEST_F(ctl, param_race_delay_bounded)
{
	char old[32], buf[32];

	vr_param_read("race_delay_us", old, sizeof(old));
	EXPECT_EQ(-EINVAL, vr_param_write("race_delay_us", "1000001"));
	EXPECT_EQ(-EINVAL, vr_param_write("race_delay_us", "-1"));
	EXPECT_EQ(-EINVAL, vr_param_write("race_delay_us", "12abc"));
	vr_param_read("race_delay_us", buf, sizeof(buf));
	EXPECT_STREQ(old, buf);
	ASSERT_EQ(0, vr_param_write("race_delay_us", "7"));
	vr_param_read("race_delay_us", buf, sizeof(buf));
	EXPECT_STREQ("7", buf);
	ASSERT_EQ(0, vr_param_write("race_delay_us", old));
}

TEST_F(ctl, param_limits_reject_zero)
{
	char buf[32];

	EXPECT_EQ(-EINVAL, vr_param_write("max_procs", "0"));
	EXPECT_EQ(-EINVAL, vr_param_write("max_maps", "0"));
	vr_param_read("max_procs", buf, sizeof(buf));
	EXPECT_STREQ(self->max_procs, buf);
}

TEST_F(ctl, unprivileged_may_read_but_not_control)
{
	int status;
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (!child) {
		char buf[1024];

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (open(VMAR_RACE_DEVICE, O_RDWR) >= 0 || errno != EACCES)
			_exit(11);
		if (vr_param_write("mode", "buggy") != -EACCES ||
		    vr_param_write("unwrap_fail", "warn") != -EACCES ||
		    vr_param_write("race_delay_us", "1") != -EACCES ||
		    vr_param_write("max_procs", "1") != -EACCES ||
		    vr_param_write("max_maps", "1") != -EACCES)
			_exit(12);
		if (vr_read_status(self->pid, buf, sizeof(buf)) <= 0)
			_exit(13);
		if (vr_read_file(VMAR_RACE_STATS, buf, sizeof(buf)) >= 0)
			_exit(14);	/* debugfs is root's */
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- bad input ---- */

TEST_F(ctl, unknown_ioctl_is_enotty)
{
	EXPECT_EQ(-ENOTTY, vr_ioctl(self->fd, _IO(VMAR_RACE_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, vr_ioctl(self->fd, _IOW('T', 0x01, int), NULL));
}

TEST_F(ctl, bad_pointers_are_efault)
{
	long spawned = vr_stat("spawned");

	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, (void *)8));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_MAP, (void *)8));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_UNMAP, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_TOUCH, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_EXIT, NULL));
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_REAP, (void *)-1L));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(ctl, spawn_into_readonly_memory_leaves_nothing)
{
	static const struct vmar_race_spawn ro = { .name = "ro" };
	long spawned = vr_stat("spawned"), reaped = vr_stat("reaped");
	long alive = vr_stat("vmars_alive");

	/* Read works, writing the pid back does not: the spawn is undone. */
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, (void *)&ro));
	EXPECT_EQ(vr_stat("spawned") - spawned, vr_stat("reaped") - reaped);
	EXPECT_EQ(alive, vr_stat("vmars_alive"));
}

TEST_F(ctl, spawn_flags_must_be_zero)
{
	struct vmar_race_spawn s = { .name = "f", .flags = 1 };

	EXPECT_EQ(-EINVAL, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, &s));
}

TEST_F(ctl, spawn_name_without_nul_is_einval)
{
	struct vmar_race_spawn s;
	long spawned = vr_stat("spawned");

	memset(&s, 0, sizeof(s));
	memset(s.name, 'x', sizeof(s.name));
	EXPECT_EQ(-EINVAL, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, &s));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(ctl, spawn_unprintable_name_is_einval)
{
	struct vmar_race_spawn s = { .name = "bad\nname" };
	struct vmar_race_spawn latin1 = { .name = "caf\xe9" };	/* isprint() in-kernel */
	long spawned = vr_stat("spawned");

	EXPECT_EQ(-EINVAL, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, &s));
	EXPECT_EQ(-EINVAL, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, &latin1));
	EXPECT_EQ(spawned, vr_stat("spawned"));
}

TEST_F(ctl, unknown_pid_is_esrch)
{
	EXPECT_EQ(-ESRCH, map(self->fd, 4000000, RW, BASE, PG));
	EXPECT_EQ(-ESRCH, touch(self->fd, 0, BASE, PG));
	EXPECT_EQ(-ESRCH, do_exit(self->fd, -1));
	EXPECT_EQ(-ESRCH, reap(self->fd, 4000000));
	EXPECT_EQ(-ESRCH, reap(self->fd, 0));
}

TEST_F(ctl, zero_length_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, BASE, 0));
	EXPECT_EQ(-EINVAL, unmap(self->fd, self->pid, BASE, 0));
	EXPECT_EQ(-EINVAL, touch(self->fd, self->pid, BASE, 0));
}

TEST_F(ctl, unaligned_range_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, BASE + 1, PG));
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, BASE, PG - 1));
	EXPECT_EQ(-EINVAL, unmap(self->fd, self->pid, BASE + 512, PG));
	EXPECT_EQ(0, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, wrapping_range_is_einval)
{
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, 0xfffffffffffff000ull, 2 * PG));
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, 0xfffffffffffff000ull, PG));
	EXPECT_EQ(0, map(self->fd, self->pid, RW, 0xffffffffffffe000ull, PG));
}

TEST_F(ctl, unknown_map_flags_are_einval)
{
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, 0x10, BASE, PG));
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, 0x80000000u, BASE, PG));
	EXPECT_EQ(0, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, unmap_and_touch_flags_must_be_zero)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, vr_map_op(self->fd, VMAR_RACE_IOC_UNMAP, self->pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, vr_map_op(self->fd, VMAR_RACE_IOC_TOUCH, self->pid, 1, BASE, PG));
	EXPECT_EQ(1, status_field(self->pid, "Mappings"));
	EXPECT_EQ(0, status_field(self->pid, "VmRSS"));
}

TEST_F(ctl, overlapping_map_is_eexist)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 4 * PG));
	EXPECT_EQ(-EEXIST, map(self->fd, self->pid, RW, BASE + 3 * PG, 2 * PG));
	EXPECT_EQ(-EEXIST, map(self->fd, self->pid, RW, BASE - PG, 8 * PG));
	EXPECT_EQ(16, status_field(self->pid, "VmSize"));
	EXPECT_EQ(1, status_field(self->pid, "Mappings"));
}

TEST_F(ctl, touch_of_unmapped_range_is_enomem)
{
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, 2 * PG));
	EXPECT_EQ(-ENOMEM, touch(self->fd, self->pid, BASE, 3 * PG));
	EXPECT_EQ(0, status_field(self->pid, "VmRSS"));
}

TEST_F(ctl, zombie_refuses_map_and_exit)
{
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	EXPECT_EQ(-EINVAL, map(self->fd, self->pid, RW, BASE, PG));
	EXPECT_EQ(-EINVAL, touch(self->fd, self->pid, BASE, PG));
	EXPECT_EQ(-EINVAL, do_exit(self->fd, self->pid));
}

TEST_F(ctl, reap_of_running_is_einval)
{
	EXPECT_EQ(-EINVAL, reap(self->fd, self->pid));
	EXPECT_EQ(0, status_field(self->pid, "VmSize"));
}

TEST_F(ctl, max_procs_reached_is_eagain)
{
	long live = vr_stat("live"), zombie = vr_stat("zombie");
	long spawned = vr_stat("spawned");
	char limit[32];

	snprintf(limit, sizeof(limit), "%ld", live + zombie + 1);
	ASSERT_EQ(0, vr_param_write("max_procs", limit));
	ASSERT_LT(0, spawn_extra(self, self->fd, "last"));
	EXPECT_EQ(-EAGAIN, vr_ctl_spawn(self->fd, "over"));
	EXPECT_EQ(spawned + 1, vr_stat("spawned"));
	EXPECT_EQ(live + 1, vr_stat("live"));
}

TEST_F(ctl, max_maps_reached_is_enomem)
{
	ASSERT_EQ(0, vr_param_write("max_maps", "3"));
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE, PG));
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE + 2 * PG, PG));
	ASSERT_EQ(0, map(self->fd, self->pid, RW, BASE + 4 * PG, 4 * PG));
	EXPECT_EQ(-ENOMEM, map(self->fd, self->pid, RW, BASE + 16 * PG, PG));
	EXPECT_EQ(-ENOMEM, unmap(self->fd, self->pid, BASE + 5 * PG, PG));	/* split */
	EXPECT_EQ(3, status_field(self->pid, "Mappings"));
	EXPECT_EQ(24, status_field(self->pid, "VmSize"));
}

/* SPAWN whose pid cannot be written back is undone before anyone sees it. */
TEST_F(ctl, spawn_into_readonly_struct_is_never_published)
{
	struct vmar_race_spawn *ro = mmap(NULL, PG, PROT_READ,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long spawned = vr_stat("spawned"), live = vr_stat("live");

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, vr_ioctl(self->fd, VMAR_RACE_IOC_SPAWN, ro));
	EXPECT_EQ(spawned, vr_stat("spawned"));
	EXPECT_EQ(live, vr_stat("live"));
	munmap(ro, PG);
}

/* ---- bounded work: max_pages ---- */

struct latency {
	atomic_int pid, stop;
	double max;
	long reads;
};

static void *latency_reader(void *arg)
{
	struct latency *l = arg;
	char buf[1024];
	double t;

	while (!l->stop) {
		if (!l->pid) {
			sched_yield();
			continue;
		}
		t = vr_now();
		vr_read_status(l->pid, buf, sizeof(buf));
		t = vr_now() - t;
		if (t > l->max)
			l->max = t;
		l->reads++;
	}
	return NULL;
}

/* What the toucher child reports: results and seconds of each step. */
struct toucher_report {
	int pid, map_huge, map_bound, touch_huge, touch_bound;
	double t_touch_huge, t_touch_bound;
};

static void toucher(int wfd, unsigned long long bound)
{
	int fd = open(VMAR_RACE_DEVICE, O_RDWR);
	struct toucher_report r = { 0 };
	double t;

	r.pid = vr_ctl_spawn(fd, "toucher");
	r.map_huge = map(fd, r.pid, RW, BASE, 1ull << 40);
	r.map_bound = map(fd, r.pid, RW, BASE, bound);
	t = vr_now();
	r.touch_huge = touch(fd, r.pid, BASE, 1ull << 40);
	r.t_touch_huge = vr_now() - t;
	t = vr_now();
	r.touch_bound = touch(fd, r.pid, BASE, bound);
	r.t_touch_bound = vr_now() - t;
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	for (;;)	/* busy in TOUCH (every page resident) until killed */
		touch(fd, r.pid, BASE, bound);
}

/*
 * One caller maps and touches 2^40 bytes while another reads its status:
 * MAP fails with ENOMEM (past max_pages, like RLIMIT_AS), TOUCH fails or
 * ends at the bound within 1 s, SIGKILL ends the toucher (and its VMAR's
 * teardown) within 1 s, and no status read waits 100 ms. On a sanitizer
 * kernel (kmemleak or KCSAN in debugfs: every access instrumented, tens of
 * times slower under TCG) the limits are ten times wider; there the
 * kernel's lockup and hung-task detectors are the judges.
 */
TEST_F_TIMEOUT(ctl, huge_touch_is_bounded, 120)
{
	struct latency l = { 0 };
	struct toucher_report r;
	unsigned long long bound;
	char maxp[32];
	int sync[2], status;
	pthread_t tid;
	pid_t child;
	double t;

	double slack = access("/sys/kernel/debug/kmemleak", F_OK) &&
		       access("/sys/kernel/debug/kcsan", F_OK) ? 1 : 10;

	vr_param_read("max_pages", maxp, sizeof(maxp));
	bound = strtoull(maxp, NULL, 10) * PG;
	ASSERT_LT(0ULL, bound);
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pthread_create(&tid, NULL, latency_reader, &l));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(sync[0]);
		toucher(sync[1], bound);
	}
	close(sync[1]);
	ASSERT_EQ((ssize_t)sizeof(r), read(sync[0], &r, sizeof(r)));
	ASSERT_LT(0, r.pid);
	self->extra[self->nextra++] = r.pid;	/* reaped at teardown */
	l.pid = r.pid;
	usleep(300000);		/* reads against the busy toucher */
	t = vr_now();
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	t = vr_now() - t;
	l.stop = 1;
	pthread_join(tid, NULL);
	TH_LOG("max_pages %s, limits x%.0f: TOUCH 2^40 %d in %.3fs, bound %d in %.3fs, kill %.3fs",
	       maxp, slack,
	       r.touch_huge, r.t_touch_huge, r.touch_bound, r.t_touch_bound, t);
	TH_LOG("%ld status reads meanwhile, slowest %.1f ms", l.reads, l.max * 1e3);
	EXPECT_EQ(-ENOMEM, r.map_huge);
	EXPECT_EQ(0, r.map_bound);
	EXPECT_EQ(-ENOMEM, r.touch_huge);
	EXPECT_EQ(0, r.touch_bound);
	EXPECT_GT(1.0 * slack, r.t_touch_huge);
	EXPECT_GT(1.0 * slack, r.t_touch_bound);
	EXPECT_GT(1.0 * slack, t);
	EXPECT_LT(0, l.reads);
	EXPECT_GT(0.1 * slack, l.max);
	close(sync[0]);
}

/* ---- the race, under the loaded mode ---- */

struct stress {
	atomic_int pid;
	atomic_int stop;
	atomic_long reads, zombie, gone, eio_unwrap, errors;
	bool buggy;
};

static void stress_error(struct stress *s, const char *what, int ret, const char *text)
{
	if (s->errors++ < 5)
		fprintf(stderr, "# stress: %s: %s\n%s", what, strerror(-ret), text);
}

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	char buf[1024], path[64];
	int pid, ret;

	while (!s->stop) {
		pid = s->pid;
		ret = vr_read_status(pid, buf, sizeof(buf));
		if (ret == -ENOENT || ret == -ESRCH) {
			s->gone++;		/* reaped before or after the open */
		} else if (ret == -EIO && s->buggy) {
			s->eio_unwrap++;	/* unwrap_fail=warn */
		} else if (ret < 0) {
			stress_error(s, "status read", ret, "");
		} else {
			s->reads++;
			if (strstr(buf, "Z (zombie)"))
				s->zombie++;
			else if (strstr(buf, "X (dead)"))
				s->gone++;	/* being reaped */
			if (strstr(buf, "State:\t") && !strstr(buf, "R (running)") &&
			    vr_field(buf, "VmSize") >= 0)	/* Linux's rule */
				stress_error(s, "exited status with Vm lines", 0, buf);
		}
		snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/maps", pid);
		ret = vr_read_file(path, buf, sizeof(buf));
		if (ret == -EIO && s->buggy)
			s->eio_unwrap++;
		else if (ret < 0 && ret != -ENOENT && ret != -ESRCH)
			stress_error(s, "maps read", ret, "");
	}
	return NULL;
}

TEST_F_TIMEOUT(ctl, race_exit_against_readers, 300)
{
	long none = vr_stat("unwrap_none");
	struct stress s = { 0 };
	pthread_t tid[2];
	char fail[16];
	int i, pid;

	vr_param_read("unwrap_fail", fail, sizeof(fail));
	s.buggy = !strcmp(self->mode, "buggy");
	if (s.buggy && strcmp(fail, "warn"))
		SKIP(return, "buggy with unwrap_fail=%s would crash the kernel", fail);
	if (!strcmp(self->mode, "uaf"))
		SKIP(return, "uaf mode uses freed memory");
	s.pid = self->pid;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, stress_reader, &s));
	for (i = 0; i < 2000; i++) {
		pid = vr_ctl_spawn(self->fd, "race");
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, map(self->fd, pid, RW, BASE, 8 * PG));
		ASSERT_EQ(0, touch(self->fd, pid, BASE, 2 * PG));
		s.pid = pid;
		sched_yield();
		ASSERT_EQ(0, do_exit(self->fd, pid));
		sched_yield();
		ASSERT_EQ(0, reap(self->fd, pid));
	}
	s.stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	TH_LOG("mode %s: %ld reads, %ld zombie, %ld gone, %ld unwrap EIO, %ld errors",
	       self->mode, (long)s.reads, (long)s.zombie, (long)s.gone,
	       (long)s.eio_unwrap, (long)s.errors);
	EXPECT_EQ(0, s.errors);
	EXPECT_LT(0, s.reads);
	if (s.buggy) {
		/* Every unwrap of None failed a read with EIO (as may a reap). */
		EXPECT_LT(none, vr_stat("unwrap_none"));
		EXPECT_GE(s.eio_unwrap, vr_stat("unwrap_none") - none);
	} else {
		EXPECT_EQ(none, vr_stat("unwrap_none"));
		EXPECT_LT(0, s.zombie);
	}
}

/* ---- pause points (root, debugfs) ---- */

/* The pause file is there (root, debugfs mounted), nothing armed: 0 or -errno. */
static int pause_ready(void)
{
	return access(VMAR_RACE_PAUSE, W_OK) ? -errno : vr_pause_cmd("reset");
}

/* Is this point listed in the pause file in this state: 1, 0, -errno. */
static int pause_listed(const char *point, int pid, const char *state)
{
	char buf[2048], line[128];
	int ret = vr_read_file(VMAR_RACE_PAUSE, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	snprintf(line, sizeof(line), "\n%s\t%d\t%s", point, pid, state);
	return !!strstr(buf, line);
}

TEST_F(ctl, pause_rejects_bad_commands)
{
	int reaped;

	if (pause_ready())
		SKIP(return, "%s: %s", VMAR_RACE_PAUSE, strerror(-pause_ready()));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm bogus %d", self->pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 0"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held -3"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 12abc"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 4194304"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d 10", self->pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("frob held %d", self->pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd(" "));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d %0*d", self->pid, 50, 0));
	/* Valid but for its length (trailing blanks are ignored below it). */
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d%*s", self->pid, 8, ""));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d%*s", self->pid, 64, ""));
	EXPECT_EQ(0, pause_listed("held", self->pid, "armed"));
	EXPECT_EQ(-ESRCH, vr_pause_cmd("arm held 4194303"));
	reaped = vr_ctl_spawn(self->fd, "gone");
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, do_exit(self->fd, reaped));
	ASSERT_EQ(0, reap(self->fd, reaped));
	EXPECT_EQ(-ESRCH, vr_pause_cmd("arm found %d", reaped));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("wait held %d", self->pid));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", self->pid));
	ASSERT_EQ(0, vr_pause_cmd("arm held %d", self->pid));
	EXPECT_EQ(1, pause_listed("held", self->pid, "armed"));
	EXPECT_EQ(-EBUSY, vr_pause_cmd("arm held %d", self->pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("wait held %d 0", self->pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("wait held %d 60001", self->pid));
	EXPECT_EQ(-ETIMEDOUT, vr_pause_cmd("wait held %d 20", self->pid));
	EXPECT_EQ(0, vr_pause_cmd("release held %d", self->pid));	/* disarms */
	EXPECT_EQ(0, pause_listed("held", self->pid, "armed"));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", self->pid));
	/* A reap disarms what nobody can reach any more. */
	reaped = vr_ctl_spawn(self->fd, "disarmed");
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", reaped));
	ASSERT_EQ(0, vr_pause_cmd("arm held %d", reaped));
	ASSERT_EQ(0, do_exit(self->fd, reaped));
	ASSERT_EQ(0, reap(self->fd, reaped));
	EXPECT_EQ(0, pause_listed("found", reaped, "armed"));
	EXPECT_EQ(0, pause_listed("held", reaped, "armed"));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", reaped));
	/* Nothing armed: reads go straight through. */
	EXPECT_LE(0, status_field(self->pid, "VmSize"));
}

TEST_F(ctl, pause_slots_are_bounded_and_reset_frees_them)
{
	static const char * const points[] = { "found", "held", "cleared", "free" };
	int i, other = spawn_extra(self, self->fd, "other");

	if (pause_ready())
		SKIP(return, "%s: %s", VMAR_RACE_PAUSE, strerror(-pause_ready()));
	ASSERT_LT(0, other);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vr_pause_cmd("arm %s %d", points[i], self->pid));
		ASSERT_EQ(0, vr_pause_cmd("arm %s %d", points[i], other));
	}
	EXPECT_EQ(-ENOSPC, vr_pause_cmd("arm found %d", spawn_extra(self, self->fd, "third")));
	EXPECT_EQ(0, vr_pause_cmd("reset"));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, pause_listed(points[i], self->pid, "armed"));
	EXPECT_LE(0, status_field(self->pid, "VmSize"));	/* not paused */
}

TEST_F(ctl, pause_is_root_only)
{
	int status;
	pid_t child;

	if (pause_ready())
		SKIP(return, "%s: %s", VMAR_RACE_PAUSE, strerror(-pause_ready()));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];

		/* Root without CAP_SYS_ADMIN: the file's own check says EPERM. */
		if (syscall(SYS_capget, &h, d))
			_exit(10);
		d[0].effective &= ~(1u << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &h, d))
			_exit(11);
		if (vr_pause_cmd("arm held %d", self->pid) != -EPERM)
			_exit(12);
		/* Nobody: debugfs does not even let it reach the file. */
		if (setgid(65534) || setuid(65534))
			_exit(13);
		if (vr_pause_cmd("arm held %d", self->pid) != -EACCES)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, pause_listed("held", self->pid, "armed"));
}

struct paused_read {
	int pid, ret;
	char buf[1024];
};

static void *paused_read_fn(void *arg)
{
	struct paused_read *r = arg;

	r->ret = vr_read_status(r->pid, r->buf, sizeof(r->buf));
	return NULL;
}

/*
 * The order the reproducer forces, from a test: a fixed-mode reader pauses
 * holding its reference, exit runs to completion and does not free the
 * VMAR, the reader resumes and shows the running state it read first, and
 * the VMAR is freed by the reader's own put, after its read.
 */
TEST_F(ctl, pause_forces_reader_to_outlive_exit)
{
	static const char * const modes[] = { "fixed", "rcu" };
	struct paused_read r;
	pthread_t t;
	int i, pid;

	if (pause_ready())
		SKIP(return, "%s: %s", VMAR_RACE_PAUSE, strerror(-pause_ready()));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vr_param_write("mode", modes[i]));
		pid = spawn_extra(self, self->fd, "paused");
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, map(self->fd, pid, RW, BASE, 4 * PG));
		ASSERT_EQ(0, vr_pause_cmd("arm held %d", pid));
		ASSERT_EQ(0, vr_pause_cmd("arm free %d", pid));
		memset(&r, 0, sizeof(r));
		r.pid = pid;
		ASSERT_EQ(0, pthread_create(&t, NULL, paused_read_fn, &r));
		ASSERT_EQ(0, vr_pause_cmd("wait held %d", pid));
		EXPECT_EQ(1, pause_listed("held", pid, "paused"));
		ASSERT_EQ(0, do_exit(self->fd, pid));	/* not stuck at "free" */
		EXPECT_EQ(-ETIMEDOUT, vr_pause_cmd("wait free %d 100", pid));
		EXPECT_EQ(0, vr_pause_cmd("release held %d", pid));
		EXPECT_EQ(0, vr_pause_cmd("wait free %d", pid));	/* the reader's put */
		EXPECT_EQ(0, vr_pause_cmd("release free %d", pid));
		ASSERT_EQ(0, pthread_join(t, NULL));
		ASSERT_LT(0, r.ret);
		EXPECT_NE(NULL, strstr(r.buf, "State:\tR (running)")) TH_LOG("%s", r.buf);
		EXPECT_LE(16, vr_field(r.buf, "VmSize"));
		EXPECT_NE(NULL, strstr(read_status_or(pid, r.buf, sizeof(r.buf)),
				       "State:\tZ (zombie)"));
	}
}

/* A paused reader that is killed, or never released, goes on by itself. */
TEST_F_TIMEOUT(ctl, paused_reader_is_let_go_when_killed_or_timed_out, 60)
{
	char old[32];
	int status;
	double t0;
	pid_t child;

	if (pause_ready())
		SKIP(return, "%s: %s", VMAR_RACE_PAUSE, strerror(-pause_ready()));
	ASSERT_EQ(0, vr_param_write("mode", "fixed"));
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", self->pid));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char buf[1024];

		_exit(vr_read_status(self->pid, buf, sizeof(buf)) > 0 ? 0 : 1);
	}
	ASSERT_EQ(0, vr_pause_cmd("wait found %d", self->pid));
	t0 = vr_now();
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(5.0, vr_now() - t0);
	EXPECT_EQ(0, pause_listed("found", self->pid, "paused"));

	vr_param_read("pause_timeout_ms", old, sizeof(old));
	EXPECT_EQ(-EINVAL, vr_param_write("pause_timeout_ms", "99"));
	EXPECT_EQ(-EINVAL, vr_param_write("pause_timeout_ms", "600001"));
	ASSERT_EQ(0, vr_param_write("pause_timeout_ms", "500"));
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", self->pid));
	t0 = vr_now();
	EXPECT_LE(0, status_field(self->pid, "VmSize"));	/* paused, then goes on */
	EXPECT_LE(0.4, vr_now() - t0);
	EXPECT_GT(30.0, vr_now() - t0);
	EXPECT_EQ(0, vr_param_write("pause_timeout_ms", old));
	EXPECT_EQ(0, pause_listed("found", self->pid, "paused"));
}

TEST_HARNESS_MAIN
