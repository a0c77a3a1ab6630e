// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests. The pause points (debugfs, root only): bad commands, bounded slots,
 * forcing a reader to outlive an exit, and letting a paused reader go.
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
FIXTURE(pause) {
	struct vr_pprocs p;
};

FIXTURE_SETUP(pause)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(pause)
{
	vr_pprocs_teardown(&self->p);
}

/* The pause file is there (root, debugfs mounted), nothing armed: 0 or -errno. */
static int pause_ready(void)
{
	return access(vr_target.pause, W_OK) ? -errno : vr_pause_cmd("reset");
}

/* Is this point listed in the pause file in this state: 1, 0, -errno. */
static int pause_listed(const char *point, int pid, const char *state)
{
	char buf[2048], line[128];
	int ret = vr_read_file(vr_target.pause, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	snprintf(line, sizeof(line), "\n%s\t%d\t%s", point, pid, state);
	return !!strstr(buf, line);
}

TEST_F(pause, pause_rejects_bad_commands)
{
	int reaped;

	if (pause_ready())
		SKIP(return, "%s: %s", vr_target.pause, strerror(-pause_ready()));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm bogus %d", self->p.pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 0"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held -3"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 12abc"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held 4194304"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held"));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d 10", self->p.pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("frob held %d", self->p.pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd(" "));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d %0*d", self->p.pid, 50, 0));
	/* Valid but for its length (trailing blanks are ignored below it). */
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d%*s", self->p.pid, 8, ""));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("arm held %d%*s", self->p.pid, 64, ""));
	EXPECT_EQ(0, pause_listed("held", self->p.pid, "armed"));
	EXPECT_EQ(-ESRCH, vr_pause_cmd("arm held 4194303"));
	reaped = vr_ctl_spawn(self->p.fd, "gone");
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, do_exit(self->p.fd, reaped));
	ASSERT_EQ(0, reap(self->p.fd, reaped));
	EXPECT_EQ(-ESRCH, vr_pause_cmd("arm found %d", reaped));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("wait held %d", self->p.pid));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", self->p.pid));
	ASSERT_EQ(0, vr_pause_cmd("arm held %d", self->p.pid));
	EXPECT_EQ(1, pause_listed("held", self->p.pid, "armed"));
	EXPECT_EQ(-EBUSY, vr_pause_cmd("arm held %d", self->p.pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("wait held %d 0", self->p.pid));
	EXPECT_EQ(-EINVAL, vr_pause_cmd("wait held %d 60001", self->p.pid));
	EXPECT_EQ(-ETIMEDOUT, vr_pause_cmd("wait held %d 20", self->p.pid));
	EXPECT_EQ(0, vr_pause_cmd("release held %d", self->p.pid));	/* disarms */
	EXPECT_EQ(0, pause_listed("held", self->p.pid, "armed"));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", self->p.pid));
	/* A reap disarms what nobody can reach any more. */
	reaped = vr_ctl_spawn(self->p.fd, "disarmed");
	ASSERT_LT(0, reaped);
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", reaped));
	ASSERT_EQ(0, vr_pause_cmd("arm held %d", reaped));
	ASSERT_EQ(0, do_exit(self->p.fd, reaped));
	ASSERT_EQ(0, reap(self->p.fd, reaped));
	EXPECT_EQ(0, pause_listed("found", reaped, "armed"));
	EXPECT_EQ(0, pause_listed("held", reaped, "armed"));
	EXPECT_EQ(-ENOENT, vr_pause_cmd("release held %d", reaped));
	/* Nothing armed: reads go straight through. */
	EXPECT_LE(0, status_field(self->p.pid, "VmSize"));
}

TEST_F(pause, pause_slots_are_bounded_and_reset_frees_them)
{
	static const char * const points[] = { "found", "held", "cleared", "free" };
	int i, other = spawn_extra(&self->p, self->p.fd, "other");

	if (pause_ready())
		SKIP(return, "%s: %s", vr_target.pause, strerror(-pause_ready()));
	ASSERT_LT(0, other);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vr_pause_cmd("arm %s %d", points[i], self->p.pid));
		ASSERT_EQ(0, vr_pause_cmd("arm %s %d", points[i], other));
	}
	EXPECT_EQ(-ENOSPC, vr_pause_cmd("arm found %d",
					spawn_extra(&self->p, self->p.fd, "third")));
	EXPECT_EQ(0, vr_pause_cmd("reset"));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, pause_listed(points[i], self->p.pid, "armed"));
	EXPECT_LE(0, status_field(self->p.pid, "VmSize"));	/* not paused */
}

TEST_F(pause, pause_is_root_only)
{
	int status;
	pid_t child;

	if (pause_ready())
		SKIP(return, "%s: %s", vr_target.pause, strerror(-pause_ready()));
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
		if (vr_pause_cmd("arm held %d", self->p.pid) != -EPERM)
			_exit(12);
		/* Nobody: debugfs does not even let it reach the file. */
		if (setgid(65534) || setuid(65534))
			_exit(13);
		if (vr_pause_cmd("arm held %d", self->p.pid) != -EACCES)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, pause_listed("held", self->p.pid, "armed"));
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
TEST_F(pause, pause_forces_reader_to_outlive_exit)
{
	static const char * const modes[] = { "fixed", "rcu" };
	struct paused_read r;
	pthread_t t;
	int i, pid;

	if (pause_ready())
		SKIP(return, "%s: %s", vr_target.pause, strerror(-pause_ready()));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vr_param_write("mode", modes[i]));
		pid = spawn_extra(&self->p, self->p.fd, "paused");
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, map(self->p.fd, pid, RW, BASE, 4 * PG));
		ASSERT_EQ(0, vr_pause_cmd("arm held %d", pid));
		ASSERT_EQ(0, vr_pause_cmd("arm free %d", pid));
		memset(&r, 0, sizeof(r));
		r.pid = pid;
		ASSERT_EQ(0, pthread_create(&t, NULL, paused_read_fn, &r));
		ASSERT_EQ(0, vr_pause_cmd("wait held %d", pid));
		EXPECT_EQ(1, pause_listed("held", pid, "paused"));
		ASSERT_EQ(0, do_exit(self->p.fd, pid));	/* not stuck at "free" */
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
TEST_F_TIMEOUT(pause, paused_reader_is_let_go_when_killed_or_timed_out, 60)
{
	char old[32];
	int status;
	double t0;
	pid_t child;

	if (pause_ready())
		SKIP(return, "%s: %s", vr_target.pause, strerror(-pause_ready()));
	ASSERT_EQ(0, vr_param_write("mode", "fixed"));
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", self->p.pid));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char buf[1024];

		_exit(vr_read_status(self->p.pid, buf, sizeof(buf)) > 0 ? 0 : 1);
	}
	ASSERT_EQ(0, vr_pause_cmd("wait found %d", self->p.pid));
	t0 = vr_now();
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(5.0, vr_now() - t0);
	EXPECT_EQ(0, pause_listed("found", self->p.pid, "paused"));

	vr_param_read("pause_timeout_ms", old, sizeof(old));
	EXPECT_EQ(-EINVAL, vr_param_write("pause_timeout_ms", "99"));
	EXPECT_EQ(-EINVAL, vr_param_write("pause_timeout_ms", "600001"));
	ASSERT_EQ(0, vr_param_write("pause_timeout_ms", "500"));
	ASSERT_EQ(0, vr_pause_cmd("arm found %d", self->p.pid));
	t0 = vr_now();
	EXPECT_LE(0, status_field(self->p.pid, "VmSize"));	/* paused, then goes on */
	EXPECT_LE(0.4, vr_now() - t0);
	EXPECT_GT(30.0, vr_now() - t0);
	EXPECT_EQ(0, vr_param_write("pause_timeout_ms", old));
	EXPECT_EQ(0, pause_listed("found", self->p.pid, "paused"));
}

TEST_HARNESS_MAIN
