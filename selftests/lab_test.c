// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests of the two later races, safe variants, as root:
 * maps_mode (what an open maps file holds) and cred_mode with SETIDS
 * (credentials replaced under a status reader). Each forced order the
 * reproducer (lab) drives, judged here on what a reader gets. SETIDS
 * itself, and what follows it, is abi_test's (both modules).
 * The unsafe variants are the verdict rows' (selftests/verdicts.txt).
 */
#include <pthread.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "vr_util.h"
#include "vr_pproc_fixture.h"

FIXTURE(lab) {
	struct vr_pprocs p;
	char maps_mode[32], cred_mode[32];
};

FIXTURE_SETUP(lab)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
	if (vr_target.rust)
		SKIP(return, "the Rust twin has the first race only");
	vr_param_read("maps_mode", self->maps_mode, sizeof(self->maps_mode));
	vr_param_read("cred_mode", self->cred_mode, sizeof(self->cred_mode));
}

FIXTURE_TEARDOWN(lab)
{
	if (self->maps_mode[0])
		vr_param_write("maps_mode", self->maps_mode);
	if (self->cred_mode[0])
		vr_param_write("cred_mode", self->cred_mode);
	vr_pprocs_teardown(&self->p);
}

static int setids(int fd, int pid, unsigned int uid, unsigned int gid, unsigned int flags)
{
	struct vmar_race_ids r = { .pid = pid, .flags = flags, .uid = uid, .gid = gid };

	return vr_ioctl(fd, VMAR_RACE_IOC_SETIDS, &r);
}

static long lines(const char *s)
{
	long n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- maps_mode: a maps file opened while running, read after exit ---- */

static void maps_after_exit(struct __test_metadata *_metadata, struct vr_pprocs *p,
			    const char *mm)
{
	char buf[8192];
	int fd, i;

	ASSERT_EQ(0, vr_param_write("maps_mode", mm));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, map(p->fd, p->pid, VMAR_RACE_PROT_READ, BASE + 2 * i * PG, PG));
	fd = open_file(p->pid, "maps");
	ASSERT_LE(0, fd);
	ASSERT_LT(0, pread_all(fd, buf, sizeof(buf)));
	EXPECT_EQ(8, lines(buf)) TH_LOG("%s: %s", mm, buf);
	ASSERT_EQ(0, do_exit(p->fd, p->pid));
	EXPECT_EQ(0, pread_all(fd, buf, sizeof(buf))) TH_LOG("%s after exit: %s", mm, buf);
	close(fd);
}

/* lookup reads through mode: fixed here (buggy's EIO is the first race's). */
TEST_F(lab, maps_lookup_after_exit_reads_nothing)
{
	ASSERT_EQ(0, vr_param_write("mode", "fixed"));	/* teardown restores it */
	maps_after_exit(_metadata, &self->p, "lookup");
}

TEST_F(lab, maps_upgrade_after_exit_reads_nothing)
{
	long alive = vr_stat("vmars_alive");

	maps_after_exit(_metadata, &self->p, "upgrade");
	/* The file held the object; closing it freed it. */
	EXPECT_EQ(alive - 1, vr_stat("vmars_alive"));
}

TEST_F(lab, maps_mode_rejects_unknown_names)
{
	char now[32];

	ASSERT_EQ(0, vr_param_write("maps_mode", "upgrade"));
	EXPECT_EQ(-EINVAL, vr_param_write("maps_mode", "mmget_not_zero"));
	vr_param_read("maps_mode", now, sizeof(now));
	EXPECT_STREQ("upgrade", now);
}

/* ---- cred_mode: forced, a reader holds the old credentials ---- */

struct sread {
	int pid, ret;
	char text[1024];
};

static void *sread_fn(void *arg)
{
	struct sread *sr = arg;

	sr->ret = vr_read_status(sr->pid, sr->text, sizeof(sr->text));
	return NULL;
}

/* Reader at "cred" with ids 1000, SETIDS 1001, release: what it printed. */
static void cred_forced(struct __test_metadata *_metadata, struct vr_pprocs *p,
			const char *cm, struct sread *sr)
{
	pthread_t t;

	if (access(VMAR_RACE_PAUSE, W_OK))
		SKIP(return, "no pause file (debugfs not mounted?)");
	ASSERT_EQ(0, vr_param_write("cred_mode", cm));
	ASSERT_EQ(0, setids(p->fd, p->pid, 1000, 1000, 0));
	sr->pid = p->pid;
	ASSERT_EQ(0, vr_pause_cmd("arm cred %d", p->pid));
	ASSERT_EQ(0, pthread_create(&t, NULL, sread_fn, sr));
	EXPECT_EQ(0, vr_pause_cmd("wait cred %d", p->pid));
	EXPECT_EQ(0, setids(p->fd, p->pid, 1001, 1001, 0));
	EXPECT_EQ(0, vr_pause_cmd("release cred %d", p->pid));
	pthread_join(t, NULL);
	ASSERT_LT(0, sr->ret);
}

/* rcu: the grace period keeps what it loaded; it prints the old ids. */
TEST_F(lab, cred_rcu_reader_prints_the_ids_it_loaded)
{
	long in_use = vr_stat("creds_freed_in_use");
	struct sread sr = {};

	cred_forced(_metadata, &self->p, "rcu", &sr);
	EXPECT_TRUE(ids_are(sr.text, "Uid:", 1000) && ids_are(sr.text, "Gid:", 1000))
		TH_LOG("%s", sr.text);
	EXPECT_EQ(in_use, vr_stat("creds_freed_in_use"));
}

/* get: the old count is at zero, so it retries and prints the new ids. */
TEST_F(lab, cred_get_reader_retries_onto_the_new_ids)
{
	long in_use = vr_stat("creds_freed_in_use");
	struct sread sr = {};

	cred_forced(_metadata, &self->p, "get", &sr);
	EXPECT_TRUE(ids_are(sr.text, "Uid:", 1001) && ids_are(sr.text, "Gid:", 1001))
		TH_LOG("%s", sr.text);
	EXPECT_EQ(in_use, vr_stat("creds_freed_in_use"));
}

TEST_F(lab, cred_mode_rejects_unknown_names)
{
	char now[32];

	ASSERT_EQ(0, vr_param_write("cred_mode", "get"));
	EXPECT_EQ(-EINVAL, vr_param_write("cred_mode", "get_cred"));
	vr_param_read("cred_mode", now, sizeof(now));
	EXPECT_STREQ("get", now);
}

/* Every replaced credential is freed: none left once the pproc goes. */
TEST_F(lab, replaced_credentials_are_freed)
{
	long alive = vr_stat("creds_alive");
	int i;

	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, setids(self->p.fd, self->p.pid, 1000 + i, 1000 + i, 0));
	EXPECT_EQ(alive, vr_stat("creds_alive"));	/* the stats read waits for RCU */
}

TEST_HARNESS_MAIN
