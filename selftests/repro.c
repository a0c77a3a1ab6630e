// SPDX-License-Identifier: GPL-2.0
/*
 * repro: the Asterinas issue 2194 reproducer, against vmar_race.
 *
 * Fork mode (default): each round forks a child that spawns a pproc, maps
 * and touches memory and _exit(0)s (closing its control file exits the
 * pproc); the parent reads the pproc's status while the child exits, waits,
 * reads once more (a zombie now) and reaps it. Threaded mode (-t N): N
 * reader threads hammer status and maps while a writer spawns, exits and
 * reaps pprocs. Forced mode (-f): each round forces the race's order with
 * the module's pause points (root): a reader pauses where its mode is
 * exposed, another thread exits the pproc (and, for the modes that hold a
 * VMAR, the reader goes on only once the VMAR's last reference is gone and
 * it is freed, if the exit freed it), then the reader resumes. The last
 * line sums up the run.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "vr_util.h"

static long rounds = 1000, reads_per_round = 50, threads, final_read = 1, per_round;
static int rounds_set, keep_open, leave_zombies, enomem_ok;
static double duration, progress_every = 5;
static int forced;
static atomic_long n_rounds, n_reads, n_zombie, n_gone, n_errors, n_enomem;
static long n_freed_first, n_kept_alive;
static atomic_int cur_pid, stop;

static void print_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-n READS] [-t THREADS] [-d SECONDS] [-P SECONDS]\n"
		"       [-F] [-R] [-k] [-L] [-f] [-E] [-M MODULE]\n"
		"  -r ROUNDS   rounds (fork mode: default 1000; threaded: unlimited;\n"
		"              0 with -d: until the time is up)\n"
		"  -n READS    status reads per round (default 50)\n"
		"  -t THREADS  threaded mode: THREADS readers against one writer\n"
		"  -d SECONDS  stop after this long (threaded mode: required)\n"
		"  -P SECONDS  progress line interval (default 5, 0: none)\n"
		"  -F          no extra read after wait (the seed's exact shape)\n"
		"  -R          print a line as each round starts, also to /dev/kmsg (to time a crash)\n"
		"  -k          threaded readers keep status open and pread() it (like top)\n"
		"  -L          fork mode: leave the zombies unreaped\n"
		"  -f          forced mode: force the race's order in every round with\n"
		"              the pause points of " VMAR_RACE_PAUSE " (root)\n"
		"  -E          failslab is on: ENOMEM from open, spawn, map and touch is\n"
		"              counted (enomem=) and the round goes on or is skipped\n"
		"  -M MODULE   vmar_race (default: $VMAR_RACE_MODULE, else vmar_race) or\n"
		"              vmar_race_rs, the Rust twin: /dev/MODULE and /proc/MODULE\n"
		"              (its pause points: /sys/kernel/debug/vmar_race_rs/pause)\n",
		argv0);
	exit(2);
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "repro: bad %s '%s' (want %ld..%ld)\n", what, s, min, max);
		exit(2);
	}
	return v;
}

/*
 * Classify one status read. As on Linux, a zombie never shows Vm lines (the
 * state is read before the VMAR, and exit clears the VMAR first); a running
 * pproc may lack them when exit ran between the two.
 */
static void account(const char *buf, int ret)
{
	bool zombie;

	if (ret == -ENOENT || ret == -ESRCH) {	/* reaped */
		n_gone++;
		return;
	}
	if (ret < 0) {
		fprintf(stderr, "repro: status read failed: %s\n", strerror(-ret));
		n_errors++;
		return;
	}
	n_reads++;
	if (strstr(buf, "State:\tX (dead)")) {	/* being reaped */
		n_gone++;
		return;
	}
	zombie = strstr(buf, "State:\tZ (zombie)");
	if (zombie)
		n_zombie++;
	if (zombie && vr_field(buf, "VmSize") >= 0) {
		fprintf(stderr, "repro: zombie status with Vm lines:\n%s", buf);
		n_errors++;
	}
}

#define CHILD_ENOMEM 20	/* -E: the child's spawn failed cleanly */

static int child_body(int wfd)
{
	int fd = open(vr_target.device, O_RDWR);
	int pid;

	int ret;

	if (fd < 0)
		_exit(enomem_ok && errno == ENOMEM ? CHILD_ENOMEM : 10);
	pid = vr_ctl_spawn(fd, "repro-child");
	if (pid < 0)
		_exit(enomem_ok && pid == -ENOMEM ? CHILD_ENOMEM : 11);
	ret = vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
			0x400000, 64 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_MAP_FILE,
			0x800000, 16 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pid, 0, 0x400000, 32 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pid, 0, 0x800000, 8 * VMAR_RACE_PAGE_SIZE);
	if (ret && !(enomem_ok && ret == -ENOMEM))
		_exit(12);
	if (write(wfd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(13);
	_exit(0);	/* closes fd: the pproc exits while the parent reads */
}

static int fork_round(int ctl)
{
	char buf[1024];
	int p[2], pid, status, i, ret;
	pid_t child;

	if (pipe(p))
		return -errno;
	child = fork();
	if (child < 0)
		return -errno;
	if (!child) {
		close(p[0]);
		child_body(p[1]);
	}
	close(p[1]);
	ret = read(p[0], &pid, sizeof(pid)) == sizeof(pid) ? 0 : -EPIPE;
	close(p[0]);
	for (i = 0; !ret && i < reads_per_round; i++)
		account(buf, vr_read_status(pid, buf, sizeof(buf)));
	if (waitpid(child, &status, 0) < 0)
		return -errno;
	if (enomem_ok && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_ENOMEM) {
		n_enomem++;
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "repro: child failed (status 0x%x)\n", status);
		return -ECHILD;
	}
	if (ret)
		return ret;
	if (final_read)
		account(buf, vr_read_status(pid, buf, sizeof(buf)));
	if (leave_zombies)
		return 0;
	ret = vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid);
	if (ret)
		fprintf(stderr, "repro: reap %d: %s\n", pid, strerror(-ret));
	return ret;
}

/* Re-read one open status file while its pproc lives (like top does). */
static void *reader_keep_open(void *arg)
{
	char buf[1024], path[64];
	int pid = 0, fd = -1;
	ssize_t n;

	while (!stop) {
		if (pid != cur_pid || fd < 0) {
			if (fd >= 0)
				close(fd);
			pid = cur_pid;
			snprintf(path, sizeof(path), "%s/%d/status", vr_target.proc_root, pid);
			fd = open(path, O_RDONLY);
			if (fd < 0) {
				account(buf, -errno);
				continue;
			}
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			account(buf, -errno);
			close(fd);
			fd = -1;
			continue;
		}
		buf[n] = '\0';
		account(buf, n);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *reader(void *arg)
{
	char buf[4096], path[64];
	int pid;

	if (keep_open)
		return reader_keep_open(arg);
	while (!stop) {
		pid = cur_pid;
		if (!pid)
			continue;
		account(buf, vr_read_status(pid, buf, sizeof(buf)));
		snprintf(path, sizeof(path), "%s/%d/maps", vr_target.proc_root, pid);
		int ret = vr_read_file(path, buf, sizeof(buf));

		if (ret < 0 && ret != -ENOENT && ret != -ESRCH) {
			fprintf(stderr, "repro: maps read failed: %s\n", strerror(-ret));
			n_errors++;
		}
	}
	return NULL;
}

static int writer_round(int ctl)
{
	int pid = vr_ctl_spawn(ctl, "repro-thr"), ret;

	if (pid == -ENOMEM && enomem_ok) {
		n_enomem++;
		return 0;
	}
	if (pid < 0)
		return pid;
	ret = vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ, 0x10000,
			32 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x10000, 8 * VMAR_RACE_PAGE_SIZE);
	if (ret == -ENOMEM && enomem_ok) {
		n_enomem++;
		ret = 0;	/* exit and reap it all the same */
	}
	cur_pid = pid;
	usleep(100);
	ret = ret ?: vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid);
	usleep(100);		/* readers now see a zombie */
	ret = ret ?: vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid);
	return ret;
}

/* ---- forced mode ---- */

struct forced_reader {
	int pid, ret;
	char buf[4096];
};

static void *forced_read(void *arg)
{
	struct forced_reader *r = arg;

	r->ret = vr_read_status(r->pid, r->buf, sizeof(r->buf));
	return NULL;
}

struct forced_exiter {
	int ctl, pid, ret;
	atomic_int done;
};

static void *forced_exit(void *arg)
{
	struct forced_exiter *e = arg;

	e->ret = vr_pid_op(e->ctl, VMAR_RACE_IOC_EXIT, e->pid);
	atomic_store(&e->done, 1);
	return NULL;
}

#define FORCED_FAIL(...) do {						\
	fprintf(stderr, "repro: forced round %ld, pid %d (%s): ", round, pid, mode); \
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	n_errors++;							\
} while (0)

/*
 * Did the exit free the VMAR (it reached "free"), or did it return while
 * the reader still held a reference? 1, 0, or -errno.
 */
static int forced_exit_freed(struct forced_exiter *e, int pid)
{
	double t0 = vr_now();
	int ret;

	while (vr_now() - t0 < 20) {
		if (atomic_load(&e->done))
			return 0;
		ret = vr_pause_cmd("wait free %d 50", pid);
		if (!ret)
			return 1;
		if (ret != -ETIMEDOUT)
			return ret;
	}
	return -ETIMEDOUT;
}

static void forced_round(int ctl, const char *mode, long round)
{
	/* Modes that hold a VMAR unlocked pause there; the locked ones earlier. */
	bool holds = !strcmp(mode, "uaf") || !strcmp(mode, "fixed") || !strcmp(mode, "rcu");
	const char *point = holds ? "held" : "found";
	struct forced_reader *r = calloc(1, sizeof(*r));
	struct forced_exiter e = { .ctl = ctl };
	pthread_t rt, et;
	int pid, ret, freed = 0;

	pid = vr_ctl_spawn(ctl, "repro-forced");
	if (!r || pid < 0) {
		FORCED_FAIL("spawn: %s", strerror(r ? -pid : ENOMEM));
		free(r);
		return;
	}
	r->pid = pid;
	e.pid = pid;
	ret = vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
			0x400000, 64 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x400000, 32 * VMAR_RACE_PAGE_SIZE) ?:
	      vr_pause_cmd("arm %s %d", point, pid) ?:
	      (holds ? vr_pause_cmd("arm free %d", pid) : 0);
	if (ret) {
		FORCED_FAIL("map or arm: %s", strerror(-ret));
		goto out;
	}
	ret = pthread_create(&rt, NULL, forced_read, r);
	if (ret) {
		FORCED_FAIL("reader thread: %s", strerror(ret));
		goto out;	/* the reap disarms the points */
	}
	ret = vr_pause_cmd("wait %s %d", point, pid);
	if (ret) {
		FORCED_FAIL("the reader never reached \"%s\": %s", point, strerror(-ret));
		vr_pause_cmd("reset");
		pthread_join(rt, NULL);
		goto out;
	}
	ret = pthread_create(&et, NULL, forced_exit, &e);
	if (ret) {
		FORCED_FAIL("exit thread: %s", strerror(ret));
		vr_pause_cmd("reset");
		pthread_join(rt, NULL);
		goto out;
	}
	if (holds) {
		freed = forced_exit_freed(&e, pid);
		if (freed < 0)
			FORCED_FAIL("waiting for exit: %s", strerror(-freed));
		if (freed == 1)
			vr_pause_cmd("release free %d", pid);	/* frees it, then exit returns */
	}
	pthread_join(et, NULL);
	if (e.ret)
		FORCED_FAIL("exit: %s", strerror(-e.ret));
	vr_pause_cmd("release %s %d", point, pid);
	if (holds && !freed) {
		/* The reader's own put is the last: it reaches "free" after its read. */
		ret = vr_pause_cmd("wait free %d", pid);
		if (ret)
			FORCED_FAIL("the reader's put never freed the VMAR: %s", strerror(-ret));
		vr_pause_cmd("release free %d", pid);
	}
	pthread_join(rt, NULL);

	if (!strcmp(mode, "uaf")) {
		if (freed == 1)
			n_freed_first++;	/* the read used freed memory: see dmesg */
		else
			FORCED_FAIL("the VMAR was not freed before the read resumed");
	} else if (holds) {
		if (freed)
			FORCED_FAIL("exit freed the VMAR while the reader held a reference");
		else if (r->ret < 0 || !strstr(r->buf, "State:\tR (running)") ||
			 vr_field(r->buf, "VmSize") < 0)
			FORCED_FAIL("want a running status with Vm lines, got %s:\n%s",
				    r->ret < 0 ? strerror(-r->ret) : "", r->ret < 0 ? "" : r->buf);
		else
			n_kept_alive++;
	} else if (!strcmp(mode, "checked")) {
		if (r->ret < 0 || !strstr(r->buf, "State:\tZ (zombie)") ||
		    vr_field(r->buf, "VmSize") >= 0)
			FORCED_FAIL("want a zombie status without Vm lines");
	} else if (r->ret != -EIO) {	/* buggy, unwrap_fail=warn (panic, oops: no return) */
		FORCED_FAIL("want EIO from an unwrap of None, got %s", strerror(-r->ret));
	}
	if (r->ret > 0)
		n_reads++;
out:
	vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid);
	ret = vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid);
	if (ret)
		FORCED_FAIL("reap: %s", strerror(-ret));
	free(r);
}

static int forced_main(int ctl)
{
	char mode[32], path[96];
	double start = vr_now();
	long i;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/mode", vr_target.name);
	ret = vr_read_file(path, mode, sizeof(mode));
	if (ret < 0) {
		fprintf(stderr, "repro: read the mode parameter: %s\n", strerror(-ret));
		return 1;
	}
	mode[strcspn(mode, "\n")] = '\0';
	ret = vr_pause_cmd("reset");
	if (ret) {
		fprintf(stderr, "repro: -f needs %s (root, debugfs mounted): %s\n",
			vr_target.pause, strerror(-ret));
		return 1;
	}
	printf("repro: forced mode, %ld rounds, mode %s\n", rounds, mode);
	fflush(stdout);
	for (i = 0; i < rounds && !n_errors; i++) {
		if (per_round)
			vr_round_mark("repro", i + 1);
		forced_round(ctl, mode, i + 1);
		n_rounds++;
	}
	printf("repro: forced rounds=%ld reads=%ld freed_before_use=%ld kept_alive=%ld",
	       (long)n_rounds, (long)n_reads, n_freed_first, n_kept_alive);
	printf(" errors=%ld elapsed=%.1fs\n", (long)n_errors, vr_now() - start);
	return n_errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	double start, last, now;
	pthread_t *tids = NULL;
	int opt, ctl, ret = 0;
	long i;

	if (vr_module_select(getenv("VMAR_RACE_MODULE"))) {
		fprintf(stderr, "repro: bad VMAR_RACE_MODULE (want vmar_race or vmar_race_rs)\n");
		exit(2);
	}
	while ((opt = getopt(argc, argv, "r:n:t:d:P:FRkLEfM:h")) != -1) {
		switch (opt) {
		case 'M':
			if (vr_module_select(optarg)) {
				fprintf(stderr, "repro: bad module '%s'", optarg);
				fprintf(stderr, " (want vmar_race or vmar_race_rs)\n");
				exit(2);
			}
			break;
		case 'r':
			rounds_set = 1;
			rounds = parse_long(optarg, "rounds", 0, 1L << 40);
			break;
		case 'n':
			reads_per_round = parse_long(optarg, "reads", 0, 1L << 30);
			break;
		case 't':
			threads = parse_long(optarg, "threads", 1, 64);
			break;
		case 'd':
			duration = parse_long(optarg, "seconds", 1, 1L << 30);
			break;
		case 'P':
			progress_every = parse_long(optarg, "interval", 0, 1L << 30);
			break;
		case 'F':
			final_read = 0;
			break;
		case 'R':
			per_round = 1;
			break;
		case 'E':
			enomem_ok = 1;
			break;
		case 'k':
			keep_open = 1;
			break;
		case 'L':
			leave_zombies = 1;
			break;
		case 'f':
			forced = 1;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (threads && !rounds_set)
		rounds = 0;
	if (optind != argc || (threads && !duration) || (!rounds && !duration) ||
	    (forced && (threads || !rounds)))
		print_usage(argv[0]);
	vr_mount();	/* /proc/vmar_race, if root and not mounted yet */
	for (i = 0; (ctl = open(vr_target.device, O_RDWR)) < 0 && enomem_ok &&
	     errno == ENOMEM && i < 1000; i++)
		n_enomem++;
	if (ctl < 0) {
		fprintf(stderr, "repro: open %s: %s\n", vr_target.device, strerror(errno));
		return 1;
	}
	if (forced)
		return forced_main(ctl);
	printf("repro: %s, %s mode, %ld rounds, %ld reads/round, %ld threads, %.0fs limit\n",
	       vr_target.name, threads ? "threaded" : "fork", rounds, reads_per_round,
	       threads, duration);
	fflush(stdout);
	start = vr_now();
	last = start;
	if (threads) {
		tids = calloc(threads, sizeof(*tids));
		for (i = 0; i < threads; i++)
			pthread_create(&tids[i], NULL, reader, NULL);
	}
	for (i = 0; !rounds || i < rounds; i++) {
		if (per_round)
			vr_round_mark("repro", i + 1);
		ret = threads ? writer_round(ctl) : fork_round(ctl);
		if (ret) {
			fprintf(stderr, "repro: round %ld: %s\n", i, strerror(-ret));
			n_errors++;
			break;
		}
		n_rounds++;
		now = vr_now();
		if (progress_every && now - last >= progress_every) {
			printf("repro: ... %ld rounds, %ld reads, %ld zombie reads, %.0fs\n",
			       (long)n_rounds, (long)n_reads, (long)n_zombie, now - start);
			fflush(stdout);
			last = now;
		}
		if (duration && now - start >= duration)
			break;
	}
	stop = 1;
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	printf("repro: rounds=%ld reads=%ld zombie_reads=%ld gone=%ld errors=%ld elapsed=%.1fs",
	       (long)n_rounds, (long)n_reads, (long)n_zombie, (long)n_gone,
	       (long)n_errors, vr_now() - start);
	if (enomem_ok)
		printf(" enomem=%ld", (long)n_enomem);
	putchar('\n');
	return n_errors ? 1 : 0;
}
