// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests. The module parameters (validated, unchanged on bad input), the
 * debugfs stats, and who may read and who may control.
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
FIXTURE(params) {
	struct vr_pprocs p;
};

FIXTURE_SETUP(params)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(params)
{
	vr_pprocs_teardown(&self->p);
}

TEST_F(params, stats_follow_lifecycle)
{
	long spawned = vr_stat("spawned"), exited = vr_stat("exited");
	long reaped = vr_stat("reaped"), alive = vr_stat("vmars_alive");
	long live = vr_stat("live"), zombie = vr_stat("zombie");
	int pid = vr_ctl_spawn(self->p.fd, "s");

	ASSERT_LT(0, pid);
	EXPECT_EQ(spawned + 1, vr_stat("spawned"));
	EXPECT_EQ(live + 1, vr_stat("live"));
	EXPECT_EQ(alive + 1, vr_stat("vmars_alive"));
	ASSERT_EQ(0, do_exit(self->p.fd, pid));
	EXPECT_EQ(exited + 1, vr_stat("exited"));
	EXPECT_EQ(zombie + 1, vr_stat("zombie"));
	EXPECT_EQ(alive, vr_stat("vmars_alive"));
	ASSERT_EQ(0, reap(self->p.fd, pid));
	EXPECT_EQ(reaped + 1, vr_stat("reaped"));
	EXPECT_EQ(zombie, vr_stat("zombie"));
}

TEST_F(params, stats_count_status_and_zombie_reads)
{
	long reads = vr_stat("status_reads"), zreads = vr_stat("zombie_reads");
	char buf[512];

	ASSERT_LT(0, vr_read_status(self->p.pid, buf, sizeof(buf)));
	EXPECT_EQ(reads + 1, vr_stat("status_reads"));
	EXPECT_EQ(zreads, vr_stat("zombie_reads"));
	if (!strcmp(self->p.mode, "buggy"))
		return;
	ASSERT_EQ(0, do_exit(self->p.fd, self->p.pid));
	ASSERT_LT(0, vr_read_status(self->p.pid, buf, sizeof(buf)));
	EXPECT_EQ(zreads + 1, vr_stat("zombie_reads"));
}

TEST_F(params, param_mode_accepts_every_mode)
{
	static const char * const modes[] = { "checked", "fixed", "rcu", "uaf", "buggy" };
	char buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (vr_target.rust && !strcmp(modes[i], "uaf")) {
			/* the safe subset cannot write it: a compile-fail case */
			EXPECT_EQ(-EINVAL, vr_param_write("mode", "uaf"));
			continue;
		}
		ASSERT_EQ(0, vr_param_write("mode", modes[i]));
		vr_param_read("mode", buf, sizeof(buf));
		EXPECT_STREQ(modes[i], buf);
	}
}

TEST_F(params, param_mode_rejects_unknown)
{
	char buf[32];

	EXPECT_EQ(-EINVAL, vr_param_write("mode", "bogus"));
	EXPECT_EQ(-EINVAL, vr_param_write("mode", "\n"));
	EXPECT_EQ(-EINVAL, vr_param_write("mode", "fixedx"));
	vr_param_read("mode", buf, sizeof(buf));
	EXPECT_STREQ(self->p.mode, buf);
}

TEST_F(params, param_unwrap_fail_validated)
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

TEST_F(params, param_race_delay_bounded)
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

TEST_F(params, param_limits_reject_zero)
{
	char buf[32];

	EXPECT_EQ(-EINVAL, vr_param_write("max_procs", "0"));
	EXPECT_EQ(-EINVAL, vr_param_write("max_maps", "0"));
	vr_param_read("max_procs", buf, sizeof(buf));
	EXPECT_STREQ(self->p.max_procs, buf);
}

TEST_F(params, unprivileged_may_read_but_not_control)
{
	int status;
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (!child) {
		static const char * const w[][2] = {
			{ "mode", "buggy" }, { "unwrap_fail", "warn" },
			{ "race_delay_us", "1" }, { "max_procs", "1" },
			{ "max_maps", "1" }, { "max_pages", "1" },
		};
		char buf[1024];
		unsigned int i;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (open(vr_target.device, O_RDWR) >= 0 || errno != EACCES)
			_exit(11);
		for (i = 0; i < ARRAY_SIZE(w); i++)
			if (vr_param_write(w[i][0], w[i][1]) != -EACCES)
				_exit(12);
		if (vr_read_status(self->p.pid, buf, sizeof(buf)) <= 0)
			_exit(13);
		if (vr_read_file(vr_target.stats, buf, sizeof(buf)) >= 0)
			_exit(14);	/* debugfs is root's */
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
