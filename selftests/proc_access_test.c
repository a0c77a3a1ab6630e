// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests: who owns and who may read /proc/vmar_race/<pid>,
 * as Linux's /proc/<pid>: owner, maps access, setattr, PPid across pid
 * namespaces, readdir inode numbers, and what reap leaves behind. Needs
 * root and the module loaded. One behaviour per test.
 */
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "vr_util.h"

#define NOBODY		65534u
#define OTHER		65533u

/* What a child reports when it could not take its ids or read as asked. */
#define ID_FAILED	200
#define READ_FAILED	201
#define WRONG_TEXT	202

/* The module under test (VMAR_RACE_MODULE); its /proc mounted if root. */
static void __attribute__((constructor)) mount_vmar_race(void)
{
	vr_setup_target();
}

static int do_exit(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pid);
}

static int reap(int fd, int pid)
{
	return vr_pid_op(fd, VMAR_RACE_IOC_REAP, pid);
}

/* /proc/vmar_race/<pid>, or a file in it ("" for the directory). */
static const char *path_of(char *buf, size_t size, int pid, const char *name)
{
	snprintf(buf, size, "%s/%d%s%s", vr_target.proc_root, pid, *name ? "/" : "", name);
	return buf;
}

static const char * const entries[] = { "", "status", "maps" };

/* Credentials a child takes before it acts (from root). */
struct ids {
	uid_t uid, euid, suid;
	gid_t gid, egid, sgid;
	bool no_ptrace;		/* keep the ids, drop CAP_SYS_PTRACE */
};

static const struct ids nobody = {
	.uid = NOBODY, .euid = NOBODY, .suid = NOBODY,
	.gid = NOBODY, .egid = NOBODY, .sgid = NOBODY,
};

/* 0 or -1. Leaving uid 0 for good also clears every capability. */
static int take_ids(const struct ids *id)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (id->no_ptrace) {
		if (syscall(SYS_capget, &h, d))
			return -1;
		d[0].effective &= ~(1u << CAP_SYS_PTRACE);
		return syscall(SYS_capset, &h, d) ? -1 : 0;
	}
	if (setgroups(0, NULL) || setresgid(id->gid, id->egid, id->sgid) ||
	    setresuid(id->uid, id->euid, id->suid))
		return -1;
	return 0;
}

/*
 * Every test gets root's control file and a running pproc it spawned.
 * Children block reading go[0] until teardown closes go[1]; the pprocs they
 * or the test spawned are reaped then.
 */
FIXTURE(access) {
	int fd;
	int pid;
	int go[2];
	int pids[16], npids;
	pid_t kids[8];
	int nkids;
};

FIXTURE_SETUP(access)
{
	self->fd = open(vr_target.device, O_RDWR);
	/* 6.1's harness runs the test after a SKIP in setup: end here. */
	if (self->fd < 0 && errno == ENOENT)
		SKIP(_exit(255), "%s is not loaded", vr_target.name);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pipe(self->go));
	self->pid = vr_ctl_spawn(self->fd, "access");
	ASSERT_LT(0, self->pid);
}

FIXTURE_TEARDOWN(access)
{
	int i, fd;

	close(self->go[1]);		/* every child and grandchild ends */
	for (i = 0; i < self->nkids; i++)
		if (self->kids[i] > 0)
			waitpid(self->kids[i], NULL, 0);
	close(self->fd);		/* exits the test's own pprocs */
	fd = open(vr_target.device, O_RDWR);
	reap(fd, self->pid);
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] > 0)
			reap(fd, self->pids[i]);
	close(fd);
}

static void add_kid(struct _test_data_access *self, pid_t kid)
{
	if (self->nkids < (int)ARRAY_SIZE(self->kids))
		self->kids[self->nkids++] = kid;
	else if (!kill(kid, SIGKILL))	/* no room: it ends now */
		waitpid(kid, NULL, 0);
}

static void track(struct _test_data_access *self, int pid)
{
	if (pid > 0 && self->npids < (int)ARRAY_SIZE(self->pids))
		self->pids[self->npids++] = pid;
}

/* REAP now; once done, teardown does not reap the pid (maybe reused) again. */
static int reap_tracked(struct _test_data_access *self, int pid)
{
	int i, ret = reap(self->fd, pid);

	for (i = 0; !ret && i < self->npids; i++)
		if (self->pids[i] == pid)
			self->pids[i] = 0;
	return ret;
}

static int spawn(struct _test_data_access *self)
{
	int pid = vr_ctl_spawn(self->fd, "extra");

	track(self, pid);
	return pid;
}

/* Block until teardown: the pprocs this child spawned run until then. */
static void wait_for_teardown(int go)
{
	char c;

	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/*
 * A child opens the control file as root, takes id and spawns a pproc that
 * runs until teardown (or until the child is killed): its pid, or -errno.
 */
static int spawn_as(struct _test_data_access *self, const struct ids *id, pid_t *kidp)
{
	int p[2], pid = -EIO;
	pid_t kid;

	if (pipe(p))
		return -errno;
	kid = fork();
	if (kid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (!kid) {
		int fd = open(vr_target.device, O_RDWR);

		close(p[0]);
		close(self->go[1]);
		if (fd < 0)
			pid = -errno;
		else if (take_ids(id))
			pid = -EPERM;
		else
			pid = vr_ctl_spawn(fd, "spawner");
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		wait_for_teardown(self->go[0]);
	}
	close(p[1]);
	add_kid(self, kid);
	if (read(p[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -EIO;
	close(p[0]);
	track(self, pid);
	if (kidp)
		*kidp = kid;
	return pid;
}

/* End a spawner now: closing its control file exits its pprocs. */
static int end_kid(struct _test_data_access *self, pid_t kid)
{
	int i;

	if (kill(kid, SIGKILL) || waitpid(kid, NULL, 0) != kid)
		return -1;
	for (i = 0; i < self->nkids; i++)
		if (self->kids[i] == kid)
			self->kids[i] = 0;
	return 0;
}

/* Run fn(pid) in a child with id: its exit code (0, an errno, or above), or -1. */
static int as_user(const struct ids *id, int (*fn)(int pid), int pid)
{
	int status;
	pid_t kid = fork();

	if (kid < 0)
		return -1;
	if (!kid)
		_exit(take_ids(id) ? ID_FAILED : fn(pid));
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * open() and read() pid's maps: 0, the open's errno, or READ_FAILED; the
 * bytes read in *n.
 */
static int read_maps_n(int pid, ssize_t *n)
{
	char path[64], buf[256];
	int fd = open(path_of(path, sizeof(path), pid, "maps"), O_RDONLY);

	if (fd < 0)
		return errno;
	*n = read(fd, buf, sizeof(buf));
	close(fd);
	return *n < 0 ? READ_FAILED : 0;
}

static int read_maps(int pid)
{
	ssize_t n;

	return read_maps_n(pid, &n);
}

/* Read pid's status: 0, the errno, or WRONG_TEXT when it is not pid's. */
static int read_status(int pid)
{
	char buf[1024];
	int ret = vr_read_status(pid, buf, sizeof(buf));

	if (ret < 0)
		return -ret;
	return vr_field(buf, "Pid") == pid ? 0 : WRONG_TEXT;
}

/* stat() pid's directory or file: 0 or -errno. */
static int stat_entry(int pid, const char *name, struct stat *st)
{
	char path[64];

	return stat(path_of(path, sizeof(path), pid, name), st) ? -errno : 0;
}

/* ---- 1. the spawner's effective ids own the pid's directory and files ---- */

TEST_F(access, root_spawn_is_owned_by_root)
{
	struct stat st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		ASSERT_EQ(0, stat_entry(self->pid, entries[i], &st));
		EXPECT_EQ(0u, st.st_uid) TH_LOG("'%s'", entries[i]);
		EXPECT_EQ(0u, st.st_gid) TH_LOG("'%s'", entries[i]);
	}
}

TEST_F(access, nobody_spawn_is_owned_by_nobody)
{
	int pid = spawn_as(self, &nobody, NULL);
	struct stat st;
	unsigned int i;

	ASSERT_LT(0, pid);
	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		ASSERT_EQ(0, stat_entry(pid, entries[i], &st));
		EXPECT_EQ(NOBODY, st.st_uid) TH_LOG("'%s'", entries[i]);
		EXPECT_EQ(NOBODY, st.st_gid) TH_LOG("'%s'", entries[i]);
	}
	ASSERT_EQ(0, stat(vr_target.proc_root, &st));	/* the root stays root's */
	EXPECT_EQ(0u, st.st_uid);
	EXPECT_EQ(0u, st.st_gid);
}

TEST_F(access, owner_is_spawner_effective_ids)
{
	static const struct ids id = {
		.uid = 65532, .euid = OTHER, .suid = 65532,
		.gid = 65531, .egid = 65530, .sgid = 65531,
	};
	int pid = spawn_as(self, &id, NULL);
	struct stat st;
	unsigned int i;

	ASSERT_LT(0, pid);
	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		ASSERT_EQ(0, stat_entry(pid, entries[i], &st));
		EXPECT_EQ(OTHER, st.st_uid) TH_LOG("'%s'", entries[i]);
		EXPECT_EQ(65530u, st.st_gid) TH_LOG("'%s'", entries[i]);
	}
}

/* task_dump_owner(): a task with no mm has root's files, its directory not. */
TEST_F(access, zombie_files_are_roots_dir_stays_spawners)
{
	struct stat st;
	unsigned int i;
	pid_t kid;
	int pid = spawn_as(self, &nobody, &kid);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, end_kid(self, kid));
	ASSERT_EQ(-EINVAL, do_exit(self->fd, pid));	/* a zombie now */
	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		unsigned int want = *entries[i] ? 0 : NOBODY;

		ASSERT_EQ(0, stat_entry(pid, entries[i], &st));
		EXPECT_EQ(want, st.st_uid) TH_LOG("'%s'", entries[i]);
		EXPECT_EQ(want, st.st_gid) TH_LOG("'%s'", entries[i]);
	}
}

/* The spawner passed its control file on and exited: PPid names nobody. */
TEST_F(access, ppid_is_zero_once_spawner_exited)
{
	int p[2], pid = -1, status;
	char buf[1024];
	pid_t kid;

	ASSERT_EQ(0, pipe(p));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid) {		/* spawns on the inherited file, then exits */
		pid = vr_ctl_spawn(self->fd, "orphan");
		_exit(write(p[1], &pid, sizeof(pid)) == sizeof(pid) ? 0 : 1);
	}
	close(p[1]);
	ASSERT_EQ((ssize_t)sizeof(pid), read(p[0], &pid, sizeof(pid)));
	close(p[0]);
	track(self, pid);
	ASSERT_LT(0, pid);
	ASSERT_EQ(kid, waitpid(kid, &status, 0));	/* its tgid is gone */
	ASSERT_LT(0, vr_read_status(pid, buf, sizeof(buf)));
	EXPECT_EQ(0, vr_field(buf, "PPid"));
	EXPECT_EQ(pid, vr_field(buf, "Pid"));
}

/* ---- 2. status is anyone's, maps only its spawner's (mm_access()) ---- */

TEST_F(access, status_and_maps_are_0444)
{
	struct stat st;

	ASSERT_EQ(0, stat_entry(self->pid, "status", &st));
	EXPECT_EQ(0444u, st.st_mode & 07777);
	ASSERT_EQ(0, stat_entry(self->pid, "maps", &st));
	EXPECT_EQ(0444u, st.st_mode & 07777);
}

TEST_F(access, nobody_reads_own_maps)
{
	int pid = spawn_as(self, &nobody, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(0, as_user(&nobody, read_maps, pid));
}

TEST_F(access, nobody_cannot_open_root_maps)
{
	EXPECT_EQ(EACCES, as_user(&nobody, read_maps, self->pid));
}

TEST_F(access, nobody_reads_root_status)
{
	EXPECT_EQ(0, as_user(&nobody, read_status, self->pid));
}

TEST_F(access, other_user_cannot_open_nobody_maps)
{
	static const struct ids other = {
		.uid = OTHER, .euid = OTHER, .suid = OTHER,
		.gid = OTHER, .egid = OTHER, .sgid = OTHER,
	};
	int pid = spawn_as(self, &nobody, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(EACCES, as_user(&other, read_maps, pid));
}

TEST_F(access, other_group_cannot_open_nobody_maps)
{
	static const struct ids other_group = {
		.uid = NOBODY, .euid = NOBODY, .suid = NOBODY,
		.gid = OTHER, .egid = OTHER, .sgid = OTHER,
	};
	int pid = spawn_as(self, &nobody, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(EACCES, as_user(&other_group, read_maps, pid));
}

/* The reader's fsuid must match the spawner's saved uid too. */
TEST_F(access, spawner_saved_root_uid_denies_nobody_maps)
{
	static const struct ids saved_root = {
		.uid = NOBODY, .euid = NOBODY, .suid = 0,
		.gid = NOBODY, .egid = NOBODY, .sgid = NOBODY,
	};
	int pid = spawn_as(self, &saved_root, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(EACCES, as_user(&nobody, read_maps, pid));
}

/* read_maps(), and WRONG_TEXT unless it read nothing. */
static int read_maps_empty(int pid)
{
	ssize_t n = 0;
	int ret = read_maps_n(pid, &n);

	return ret ?: n ? WRONG_TEXT : 0;
}

/* mm_access() with no mm: no check; an exited pproc's maps are empty. */
TEST_F(access, anyone_opens_zombie_maps_and_reads_nothing)
{
	char mode[32];

	vr_param_read("mode", mode, sizeof(mode));
	if (!strcmp(mode, "buggy"))
		SKIP(return, "mode=buggy: a zombie's maps read unwraps None");
	ASSERT_EQ(0, vr_map_op(self->fd, VMAR_RACE_IOC_MAP, self->pid, VMAR_RACE_PROT_READ,
			       0x10000, 4 * VMAR_RACE_PAGE_SIZE));
	ASSERT_EQ(EACCES, as_user(&nobody, read_maps, self->pid));	/* running */
	ASSERT_EQ(0, do_exit(self->fd, self->pid));
	EXPECT_EQ(0, as_user(&nobody, read_maps_empty, self->pid));
}

TEST_F(access, cap_sys_ptrace_opens_nobody_maps)
{
	static const struct ids root = { 0 };	/* stays root, with every capability */
	int pid = spawn_as(self, &nobody, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(0, as_user(&root, read_maps, pid));
}

TEST_F(access, root_without_cap_sys_ptrace_cannot_open_nobody_maps)
{
	static const struct ids root_no_ptrace = { .no_ptrace = true };
	int pid = spawn_as(self, &nobody, NULL);

	ASSERT_LT(0, pid);
	EXPECT_EQ(EACCES, as_user(&root_no_ptrace, read_maps, pid));
}

/* ---- 3. setattr: no chmod; chown lasts until the next lookup ---- */

TEST_F(access, chmod_of_pid_dir_is_eperm)
{
	char path[64];
	struct stat st;
	int ret, err;

	ret = chmod(path_of(path, sizeof(path), self->pid, ""), 0700);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EPERM, err);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0555u, st.st_mode & 07777);
}

TEST_F(access, chmod_of_status_and_maps_is_eperm)
{
	static const char * const files[] = { "status", "maps" };
	char path[64];
	struct stat st;
	unsigned int i;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		ret = chmod(path_of(path, sizeof(path), self->pid, files[i]), 0600);
		err = errno;
		EXPECT_EQ(-1, ret) TH_LOG("%s", files[i]);
		EXPECT_EQ(EPERM, err) TH_LOG("%s", files[i]);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0444u, st.st_mode & 07777) TH_LOG("%s", files[i]);
	}
}

TEST_F(access, chmod_of_root_is_eperm)
{
	struct stat st;
	int ret, err;

	ret = chmod(vr_target.proc_root, 0700);
	err = errno;
	if (!ret)
		chmod(vr_target.proc_root, 0555);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EPERM, err);
	ASSERT_EQ(0, stat(vr_target.proc_root, &st));
	EXPECT_EQ(0555u, st.st_mode & 07777);
}

TEST_F(access, chown_by_root_is_undone_by_next_lookup)
{
	int pid = spawn_as(self, &nobody, NULL);
	char path[64];
	struct stat st;
	unsigned int i;
	int ret, err;

	ASSERT_LT(0, pid);
	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		ret = chown(path_of(path, sizeof(path), pid, entries[i]), OTHER, OTHER);
		err = errno;
		EXPECT_TRUE(!ret || err == EPERM) TH_LOG("%s: %s", path, strerror(err));
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(NOBODY, st.st_uid) TH_LOG("%s", path);
		EXPECT_EQ(NOBODY, st.st_gid) TH_LOG("%s", path);
	}
}

/* ---- 4. PPid as the reader's pid namespace sees the spawner ---- */

struct ns_report {
	int unshare_err;	/* unshare(CLONE_NEWPID)'s errno, or 0 */
	int err;		/* errno of what failed in the namespace, or 0 */
	int pid;		/* the pproc read: the target or one spawned inside */
	long ppid, rpid;	/* its PPid and Pid, read inside */
	pid_t self;		/* the grandchild's pid inside (1) */
	pid_t outer;		/* and outside */
};

/* In the new namespace: read target's status, or spawn one when target is 0. */
static void ns_grandchild(struct ns_report *r, int target)
{
	char buf[1024];
	int fd, ret;

	r->self = getpid();
	if (!target) {
		fd = open(vr_target.device, O_RDWR);	/* held: it runs on */
		if (fd < 0) {
			r->err = errno;
			return;
		}
		target = vr_ctl_spawn(fd, "in_pidns");
		if (target < 0) {
			r->err = -target;
			return;
		}
	}
	r->pid = target;
	ret = vr_read_status(target, buf, sizeof(buf));
	if (ret < 0) {
		r->err = -ret;
		return;
	}
	r->ppid = vr_field(buf, "PPid");
	r->rpid = vr_field(buf, "Pid");
}

/* The child: unshare, fork pid 1 of the new namespace, relay its report. */
static void ns_child(int wfd, int go, int target)
{
	struct ns_report r = { 0 };
	pid_t g = -1;
	int q[2];

	if (unshare(CLONE_NEWPID)) {
		r.unshare_err = errno;
	} else if (pipe(q)) {
		r.err = errno;
	} else {
		g = fork();
		if (!g) {
			close(wfd);
			close(q[0]);
			ns_grandchild(&r, target);
			if (write(q[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			wait_for_teardown(go);
		}
		if (g < 0)
			r.err = errno;
		close(q[1]);
		if (g > 0 && read(q[0], &r, sizeof(r)) != sizeof(r))
			r.err = EIO;
		close(q[0]);
		r.outer = g;
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	if (g > 0)
		waitpid(g, NULL, 0);
	_exit(0);
}

#define NO_PIDNS	1

/*
 * A grandchild that is pid 1 of a new pid namespace reads target's status
 * (or that of a pproc it spawns when target is 0) and stays until teardown.
 * 0 with *r filled, NO_PIDNS without CONFIG_PID_NS, or -1 (logged).
 */
static int in_child_pidns(struct __test_metadata *_metadata, struct _test_data_access *self,
			  int target, struct ns_report *r)
{
	int p[2];
	ssize_t n;
	pid_t kid;

	if (pipe(p))
		return -1;
	kid = fork();
	if (kid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!kid) {
		close(p[0]);
		close(self->go[1]);
		ns_child(p[1], self->go[0], target);
	}
	close(p[1]);
	add_kid(self, kid);
	n = read(p[0], r, sizeof(*r));
	close(p[0]);
	if (n != sizeof(*r)) {
		TH_LOG("no report from the child");
		return -1;
	}
	if (!target)
		track(self, r->pid);
	if (r->unshare_err == EINVAL)
		return NO_PIDNS;
	if (r->unshare_err || r->err) {
		TH_LOG("%s: %s", r->unshare_err ? "unshare" : "in the namespace",
		       strerror(r->unshare_err ?: r->err));
		return -1;
	}
	if (r->self != 1) {
		TH_LOG("the grandchild is pid %d in its namespace", r->self);
		return -1;
	}
	return 0;
}

TEST_F(access, ppid_is_zero_when_spawner_outside_reader_pidns)
{
	struct ns_report r;
	int ret = in_child_pidns(_metadata, self, self->pid, &r);

	if (ret == NO_PIDNS)
		SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, r.ppid);
}

TEST_F(access, pid_is_unchanged_in_child_pidns)
{
	struct ns_report r;
	int ret = in_child_pidns(_metadata, self, self->pid, &r);

	if (ret == NO_PIDNS)
		SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(self->pid, r.rpid);
}

TEST_F(access, ppid_read_inside_pidns_is_spawner_ns_pid)
{
	struct ns_report r;
	int ret = in_child_pidns(_metadata, self, 0, &r);

	if (ret == NO_PIDNS)
		SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
	ASSERT_EQ(0, ret);
	ASSERT_LT(0, r.pid);
	EXPECT_EQ(1, r.ppid);
}

TEST_F(access, ppid_read_outside_pidns_is_spawner_tgid)
{
	char buf[1024];
	struct ns_report r;
	int ret = in_child_pidns(_metadata, self, 0, &r);

	if (ret == NO_PIDNS)
		SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
	ASSERT_EQ(0, ret);
	ASSERT_LT(0, r.pid);
	ASSERT_LT(1, r.outer);
	ASSERT_LT(0, vr_read_status(r.pid, buf, sizeof(buf)));
	EXPECT_EQ(r.outer, vr_field(buf, "PPid"));
	EXPECT_EQ(r.pid, vr_field(buf, "Pid"));
}

/* ---- 5. readdir's d_ino is the st_ino a lookup gives ---- */

struct dent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* d_ino of name as getdents64 lists dir: 0 when not listed, or -errno. */
static long long listed_ino(const char *dir, const char *name)
{
	unsigned long long buf[2048];	/* aligned for the records */
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	const struct dent64 *d;
	long long ino = 0;
	long n, off;

	if (fd < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (const struct dent64 *)((char *)buf + off);
			if (!strcmp(d->d_name, name))
				ino = d->d_ino;
		}
	}
	if (n < 0)
		ino = -errno;
	close(fd);
	return ino;
}

/* st_ino of dir/name, or -errno. */
static long long stat_ino(const char *dir, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) ? -errno : (long long)st.st_ino;
}

TEST_F(access, root_readdir_d_ino_is_st_ino)
{
	const char *dir = vr_target.proc_root;
	char name[16];

	snprintf(name, sizeof(name), "%d", self->pid);
	ASSERT_LT(0, stat_ino(dir, name));
	EXPECT_EQ(stat_ino(dir, name), listed_ino(dir, name));
	ASSERT_LT(0, stat_ino(dir, "."));
	EXPECT_EQ(stat_ino(dir, "."), listed_ino(dir, "."));
}

/* ".." too: the pid directory's parent is the root, in this filesystem. */
TEST_F(access, pid_dir_readdir_d_ino_is_st_ino)
{
	static const char * const names[] = { ".", "..", "status", "maps" };
	char dir[64];
	unsigned int i;

	path_of(dir, sizeof(dir), self->pid, "");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_LT(0, stat_ino(dir, names[i])) TH_LOG("%s", names[i]);
		EXPECT_EQ(stat_ino(dir, names[i]), listed_ino(dir, names[i]))
			TH_LOG("%s", names[i]);
	}
}

/* ---- 6. readdir of a held pid directory once reaped (proc_pident_readdir()) ---- */

TEST_F(access, getdents_of_reaped_pid_dir_is_enoent)
{
	unsigned long long buf[512];
	char path[64];
	int pid = spawn(self), dfd, err;
	long n;

	ASSERT_LT(0, pid);
	dfd = open(path_of(path, sizeof(path), pid, ""), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, do_exit(self->fd, pid));
	ASSERT_EQ(0, reap_tracked(self, pid));
	n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
	err = errno;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENOENT, err);
	close(dfd);
}

/* ---- 7. reap drops the pid's dentries, and with them the pproc ---- */

TEST_F(access, reap_frees_pproc_behind_looked_up_dentries)
{
	long before = vr_stat("pprocs_alive");
	struct stat st;
	unsigned int i;
	int pid;

	ASSERT_LE(0, before) TH_LOG("no pprocs_alive line in %s", vr_target.stats);
	pid = spawn(self);
	ASSERT_LT(0, pid);
	EXPECT_EQ(before + 1, vr_stat("pprocs_alive"));
	for (i = 0; i < ARRAY_SIZE(entries); i++)
		ASSERT_EQ(0, stat_entry(pid, entries[i], &st));
	ASSERT_EQ(0, do_exit(self->fd, pid));
	ASSERT_EQ(0, reap_tracked(self, pid));
	EXPECT_EQ(before, vr_stat("pprocs_alive"));
}

TEST_HARNESS_MAIN
