// SPDX-License-Identifier: GPL-2.0
/*
 * vmar_race kselftests. Races and bounds: exit against readers under whatever read mode the
 * module was loaded with, readdir against spawn and reap, a huge touch
 * that stays preemptible and killable, a huge unmap that readers do not
 * wait for, and race_delay_us slept once per read pass and killable.
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
FIXTURE(races) {
	struct vr_pprocs p;
};

FIXTURE_SETUP(races)
{
	int ret = vr_pprocs_setup(&self->p);

	if (ret == 1)
		SKIP(return, "%s is not loaded", vr_target.name);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(races)
{
	vr_pprocs_teardown(&self->p);
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

TEST_F_TIMEOUT(races, readdir_during_spawn_and_reap, 120)
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
			ASSERT_EQ(0, do_exit(self->p.fd, live[k]));
			ASSERT_EQ(0, reap(self->p.fd, live[k]));
			c.reaped_at[live[k]] = ++c.epoch;
		}
		live[k] = vr_ctl_spawn(self->p.fd, "churn");
		ASSERT_LT(0, live[k]);
		ASSERT_GT(CHURN_PIDS, live[k]);
	}
	c.stop = 1;
	for (i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);
	for (k = 0; k < 16; k++)
		if (live[k] && !do_exit(self->p.fd, live[k]))
			reap(self->p.fd, live[k]);
	TH_LOG("%ld readdirs listing %ld pids against %ld reaps", (long)c.lists,
	       (long)c.listed, (long)c.epoch);
	EXPECT_LT(10, c.lists);
	EXPECT_LT(100, c.epoch);
	EXPECT_EQ(0, c.dups);
	EXPECT_EQ(0, c.stale);
	free(c.reaped_at);
}

#define LAT_MAX 100000

struct latency {
	atomic_int pid, stop;
	double max;
	long reads;
	double t[LAT_MAX];	/* each read's seconds, the first LAT_MAX */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The read time that 90% of the reads did not exceed. */
static double latency_p90(struct latency *l)
{
	long n = l->reads < LAT_MAX ? l->reads : LAT_MAX;

	if (!n)
		return 0;
	qsort(l->t, n, sizeof(l->t[0]), cmp_double);
	return l->t[n * 9 / 10];
}

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
		if (l->reads < LAT_MAX)
			l->t[l->reads] = t;
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
	int fd = open(vr_target.device, O_RDWR);
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
 * teardown) within 1 s, and 90% of the status reads take under 100 ms
 * (status never waits for TOUCH; a lone slow read is the host's scheduler,
 * as seen under TCG with two VMs on two CPUs). On a sanitizer
 * kernel (kmemleak or KCSAN in debugfs: every access instrumented, tens of
 * times slower under TCG) the limits are ten times wider; there the
 * kernel's lockup and hung-task detectors are the judges.
 */
TEST_F_TIMEOUT(races, huge_touch_is_bounded, 120)
{
	struct latency *l = calloc(1, sizeof(*l));
	struct toucher_report r;
	unsigned long long bound;
	char maxp[32];
	int sync[2], status;
	pthread_t tid;
	pid_t child;
	double t, p90;

	double slack = access("/sys/kernel/debug/kmemleak", F_OK) &&
		       access("/sys/kernel/debug/kcsan", F_OK) ? 1 : 10;

	vr_param_read("max_pages", maxp, sizeof(maxp));
	bound = strtoull(maxp, NULL, 10) * PG;
	ASSERT_LT(0ULL, bound);
	ASSERT_EQ(0, pipe(sync));
	ASSERT_NE(NULL, l);
	ASSERT_EQ(0, pthread_create(&tid, NULL, latency_reader, l));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(sync[0]);
		toucher(sync[1], bound);
	}
	close(sync[1]);
	ASSERT_EQ((ssize_t)sizeof(r), read(sync[0], &r, sizeof(r)));
	ASSERT_LT(0, r.pid);
	self->p.extra[self->p.nextra++] = r.pid;	/* reaped at teardown */
	l->pid = r.pid;
	usleep(300000);		/* reads against the busy toucher */
	t = vr_now();
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	t = vr_now() - t;
	l->stop = 1;
	pthread_join(tid, NULL);
	p90 = latency_p90(l);
	TH_LOG("max_pages %s, limits x%.0f: TOUCH 2^40 %d in %.3fs, bound %d in %.3fs, kill %.3fs",
	       maxp, slack,
	       r.touch_huge, r.t_touch_huge, r.touch_bound, r.t_touch_bound, t);
	TH_LOG("%ld status reads meanwhile, 90%% within %.1f ms, slowest %.1f ms",
	       l->reads, p90 * 1e3, l->max * 1e3);
	EXPECT_EQ(-ENOMEM, r.map_huge);
	EXPECT_EQ(0, r.map_bound);
	EXPECT_EQ(-ENOMEM, r.touch_huge);
	EXPECT_EQ(0, r.touch_bound);
	EXPECT_GT(1.0 * slack, r.t_touch_huge);
	EXPECT_GT(1.0 * slack, r.t_touch_bound);
	EXPECT_GT(1.0 * slack, t);
	EXPECT_LT(0, l->reads);
	EXPECT_GT(0.1 * slack, p90);
	close(sync[0]);
	free(l);
}

/*
 * One UNMAP over N one-page mappings with gaps (both limits raised) while a
 * reader reads the status in a loop: a status read takes v->lock, which
 * UNMAP holds for a batch of mappings at a time, so no read that overlaps
 * the UNMAP waits for a large part of it. Unbatched, one read spins for
 * every rb_erase() of the range (about 40% of the UNMAP). N is what 1.5 s
 * of MAPs make (the UNMAP then takes about 0.4 s on any kernel); of three
 * rounds the least stalled is judged, as a host that deschedules a vCPU
 * stretches a read in one round, never in all. The kernel's lockup and RCU
 * stall detectors judge too (a report fails the VM row).
 */
#define UNMAP_ROUNDS 3
#define UNMAP_MAX_MAPS 1048576

struct span_reader {
	atomic_int stop;
	int pid;
	long n;
	double (*t)[2];		/* each read's start and end, the first LAT_MAX */
};

static void *span_reader(void *arg)
{
	struct span_reader *r = arg;
	char buf[1024];
	double a;

	while (!r->stop) {
		a = vr_now();
		vr_read_status(r->pid, buf, sizeof(buf));
		if (r->n < LAT_MAX) {
			r->t[r->n][0] = a;
			r->t[r->n][1] = vr_now();
		}
		r->n++;
	}
	return NULL;
}

/* Map one-page mappings with gaps for about secs: how many, or -errno. */
static long map_for(int fd, int pid, double secs)
{
	double t0 = vr_now();
	long n = 0;
	int ret;

	while (n < UNMAP_MAX_MAPS && (n & 1023 || vr_now() - t0 < secs)) {
		ret = map(fd, pid, RW, BASE + 2ull * n * PG, PG);
		if (ret)
			return ret;
		n++;
	}
	return n;
}

TEST_F_TIMEOUT(races, huge_unmap_is_bounded, 300)
{
	double t0, t1, t, slowest, ratio, best = 1;
	struct span_reader r = { .pid = self->p.pid };
	long i, n, during;
	pthread_t tid;
	char lim[32];
	int round;

	if (!self->p.max_pages[0])
		SKIP(return, "%s has no max_pages parameter", vr_target.name);
	snprintf(lim, sizeof(lim), "%d", UNMAP_MAX_MAPS + 16);
	ASSERT_EQ(0, vr_param_write("max_maps", lim));
	ASSERT_EQ(0, vr_param_write("max_pages", lim));
	r.t = calloc(LAT_MAX, sizeof(*r.t));
	ASSERT_NE(NULL, r.t);
	for (round = 0; round < UNMAP_ROUNDS; round++) {
		n = map_for(self->p.fd, self->p.pid, 1.5);
		ASSERT_LT(0, n);
		ASSERT_EQ(n, status_field(self->p.pid, "Mappings"));
		r.stop = 0;
		r.n = 0;
		ASSERT_EQ(0, pthread_create(&tid, NULL, span_reader, &r));
		usleep(100000);		/* the reader is reading */
		t0 = vr_now();
		ASSERT_EQ(0, unmap(self->p.fd, self->p.pid, BASE, 2ull * n * PG));
		t1 = vr_now();
		usleep(100000);
		r.stop = 1;
		pthread_join(tid, NULL);
		slowest = 0;
		during = 0;
		for (i = 0; i < r.n && i < LAT_MAX; i++) {
			if (r.t[i][0] >= t1 || r.t[i][1] <= t0)
				continue;	/* did not overlap the UNMAP */
			during++;
			t = r.t[i][1] - r.t[i][0];
			slowest = t > slowest ? t : slowest;
		}
		ratio = slowest / (t1 - t0);
		best = ratio < best ? ratio : best;
		TH_LOG("round %d: UNMAP of %ld mappings took %.3fs; %ld status reads overlapped it",
		       round, n, t1 - t0, during);
		TH_LOG("round %d: the slowest took %.1f ms (%.0f%% of the UNMAP)",
		       round, slowest * 1e3, ratio * 1e2);
		EXPECT_EQ(0, status_field(self->p.pid, "Mappings"));
		EXPECT_LT(0, during);
	}
	EXPECT_GT(0.2, best);
	free(r.t);
}

/* A maps reader of a pproc with 3200 mappings (100 batches of 32). */
#define DELAY_MAPS 3200

static int map_many(int fd, int pid, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = map(fd, pid, RW, BASE + 2ull * i * PG, PG);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * race_delay_us is slept once per read pass: one read() of maps (4 KiB of
 * records, about four batches) with a 0.5 s delay takes about 0.5 s, not
 * one delay per batch.
 */
TEST_F_TIMEOUT(races, race_delay_once_per_read_pass, 120)
{
	static char buf[65536];
	ssize_t n;
	double t;
	int fd;

	if (!self->p.delay[0])
		SKIP(return, "%s has no race_delay_us parameter", vr_target.name);
	ASSERT_EQ(0, map_many(self->p.fd, self->p.pid, DELAY_MAPS));
	ASSERT_EQ(0, vr_param_write("race_delay_us", "500000"));
	fd = open_file(self->p.pid, "maps");
	ASSERT_LE(0, fd);
	t = vr_now();
	n = read(fd, buf, sizeof(buf));
	t = vr_now() - t;
	close(fd);
	ASSERT_EQ(0, vr_param_write("race_delay_us", "0"));
	TH_LOG("one read() of maps: %zd bytes in %.3fs with a 0.5 s delay", n, t);
	ASSERT_LT(40 * 32, n);		/* more than one batch of records */
	EXPECT_LE(0.5, t);
	EXPECT_GT(1.25, t);
}

/*
 * A reader sleeping in race_delay_us (1 s, 3200 mappings: 100 s of
 * batches if every batch slept) ends within a second of SIGKILL.
 */
TEST_F_TIMEOUT(races, killed_maps_reader_ends_at_once, 120)
{
	int sync[2], status;
	pid_t child;
	double t;
	char c;

	if (!self->p.delay[0])
		SKIP(return, "%s has no race_delay_us parameter", vr_target.name);
	ASSERT_EQ(0, map_many(self->p.fd, self->p.pid, DELAY_MAPS));
	ASSERT_EQ(0, vr_param_write("race_delay_us", "1000000"));
	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		static char buf[262144];
		int fd = open_file(self->p.pid, "maps");

		close(sync[0]);
		if (fd < 0 || write(sync[1], "r", 1) != 1)
			_exit(1);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	close(sync[0]);
	usleep(1000000);	/* in the read, asleep in its window */
	t = vr_now();
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	t = vr_now() - t;
	ASSERT_EQ(0, vr_param_write("race_delay_us", "0"));
	TH_LOG("maps reader gone %.3fs after SIGKILL", t);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(1.0, t);
}

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
		pproc_path(path, sizeof(path), pid, "maps");
		ret = vr_read_file(path, buf, sizeof(buf));
		if (ret == -EIO && s->buggy)
			s->eio_unwrap++;
		else if (ret < 0 && ret != -ENOENT && ret != -ESRCH)
			stress_error(s, "maps read", ret, "");
	}
	return NULL;
}

/* Has a reader seen an exited pproc before its reap? */
static bool window_hit(struct stress *s, long none)
{
	return s->buggy ? vr_stat("unwrap_none") > none : s->zombie > 0;
}

TEST_F_TIMEOUT(races, race_exit_against_readers, 300)
{
	long none = vr_stat("unwrap_none");
	struct stress s = { 0 };
	pthread_t tid[2];
	char fail[16];
	double start;
	int i, pid, rounds;

	vr_param_read("unwrap_fail", fail, sizeof(fail));
	s.buggy = !strcmp(self->p.mode, "buggy");
	if (s.buggy && strcmp(fail, "warn"))
		SKIP(return, "buggy with unwrap_fail=%s would crash the kernel", fail);
	if (!strcmp(self->p.mode, "uaf"))
		SKIP(return, "uaf mode uses freed memory");
	s.pid = self->p.pid;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, stress_reader, &s));
	/*
	 * 2000 rounds, then on until a reader has hit the window (a zombie
	 * read, or an unwrap of None in buggy mode) or 60 s have passed: on a
	 * loaded 2-CPU guest the readers may be starved for the first rounds.
	 */
	start = vr_now();
	for (rounds = 0; rounds < 2000 || (!window_hit(&s, none) && vr_now() - start < 60);
	     rounds++) {
		pid = vr_ctl_spawn(self->p.fd, "race");
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, map(self->p.fd, pid, RW, BASE, 8 * PG));
		ASSERT_EQ(0, touch(self->p.fd, pid, BASE, 2 * PG));
		s.pid = pid;
		sched_yield();
		ASSERT_EQ(0, do_exit(self->p.fd, pid));
		sched_yield();
		ASSERT_EQ(0, reap(self->p.fd, pid));
	}
	s.stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	TH_LOG("mode %s: %d rounds, %ld reads, %ld zombie, %ld gone, %ld unwrap EIO, %ld errors",
	       self->p.mode, rounds, (long)s.reads, (long)s.zombie, (long)s.gone,
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

TEST_HARNESS_MAIN
