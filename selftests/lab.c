// SPDX-License-Identifier: GPL-2.0
/*
 * lab: the reproducer of vmar_race's two later races (repro is the first's).
 *
 * -a maps: a maps file opened while its pproc runs and read after it
 * exited. Forced (-f): every round opens, exits, then reads, so with
 * maps_mode=grab the read walks mappings the exit freed (KASAN), and with
 * lookup or upgrade it must list nothing. Threaded (-t): readers open and
 * read the maps of the pproc a writer keeps spawning, mapping and exiting.
 *
 * -a cred: a status read while SETIDS replaces the pproc's ids. Forced:
 * every round stops a reader at the "cred" pause point (root) holding the
 * old credentials, replaces them (and, for cred_mode=plain, waits for their
 * free: "barrier"), then lets the reader go. Threaded: readers read status
 * while a writer flips the ids. Each Uid:/Gid: line read must show one set
 * of ids, old or new.
 *
 * The last line sums up the run; the exit status is 1 if a read failed or
 * showed what it must not.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#include "vr_util.h"

#define NMAPS 64

static const char *race, *variant;
static int forced, marks, threads;
static long rounds = -1;
static double duration, progress_every = 5;
static int ctl = -1;
static atomic_int cur_pid, stop;
static atomic_long n_reads, n_errors, n_stale, n_old, n_new;

static void print_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -a maps|cred [-m VARIANT] [-f] [-r ROUNDS] [-t THREADS -d SECONDS]\n"
		"       [-R] [-P SECONDS]\n"
		"  -a RACE     maps: a maps file opened while its pproc runs, read after exit\n"
		"              cred: a status read while SETIDS replaces the pproc's ids\n"
		"  -m VARIANT  set the race's parameter first (root): maps_mode lookup,\n"
		"              grab or upgrade; cred_mode rcu, get, plain or inc\n"
		"  -f          forced: every round forces the race's order (cred: with the\n"
		"              \"cred\" pause point, root); -a cred needs -f or -t\n"
		"  -r ROUNDS   rounds (default 10 forced, 100 otherwise)\n"
		"  -t THREADS  threaded: THREADS readers against one writer, for -d SECONDS\n"
		"  -d SECONDS  how long a threaded run lasts (required with -t)\n"
		"  -R          print a line as each round starts, also to /dev/kmsg\n"
		"  -P SECONDS  threaded progress line interval (default 5, 0: none)\n",
		argv0);
	exit(2);
}

/* A number in [min, max], the whole of @s, or a usage error. */
static double num(const char *s, double min, double max, const char *argv0)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "lab: '%s' is not a number in %g-%g\n", s, min, max);
		print_usage(argv0);
	}
	return v;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "lab: %s: %s\n", what, strerror(err));
	exit(1);
}

static int setids(int pid, unsigned int id)
{
	struct vmar_race_ids r = { .pid = pid, .uid = id, .gid = id };

	return vr_ioctl(ctl, VMAR_RACE_IOC_SETIDS, &r);
}

/* A pproc with NMAPS one-page mappings, a page apart. */
static int spawn_mapped(void)
{
	int pid = vr_ctl_spawn(ctl, "lab"), i, ret;

	if (pid < 0)
		die("spawn", -pid);
	for (i = 0; i < NMAPS; i++) {
		ret = vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ,
				(2ull * i + 1) * VMAR_RACE_PAGE_SIZE, VMAR_RACE_PAGE_SIZE);
		if (ret)
			die("map", -ret);
	}
	return pid;
}

/* Lines read from an open maps file, or -errno. */
static long read_lines(int fd)
{
	char buf[4096];
	long lines = 0;
	ssize_t n, i;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	return n < 0 ? -errno : lines;
}

/* "Uid:\tA\tB\tC\tD": 1 if all four are @want. */
static int ids_are(const char *text, const char *key, long want)
{
	const char *p = strstr(text, key);
	long v[4];

	if (!p || sscanf(p + strlen(key), "%ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3]) != 4)
		return 0;
	return v[0] == want && v[1] == want && v[2] == want && v[3] == want;
}

/* Judge one status text of a pproc whose ids are @a or @b. */
static void judge_ids(const char *text, long a, long b)
{
	if (ids_are(text, "Uid:", a) && ids_are(text, "Gid:", a)) {
		atomic_fetch_add(&n_old, 1);
	} else if (ids_are(text, "Uid:", b) && ids_are(text, "Gid:", b)) {
		atomic_fetch_add(&n_new, 1);
	} else {
		atomic_fetch_add(&n_errors, 1);
		fprintf(stderr, "lab: Uid:/Gid: not one set of ids (%ld or %ld):\n%s", a, b, text);
	}
}

static void maps_round(void)
{
	char path[64];
	int pid = spawn_mapped(), fd, ret;
	long lines;

	snprintf(path, sizeof(path), "%s/%d/maps", VMAR_RACE_PROC_ROOT, pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open maps", errno);
	ret = vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid);
	if (ret)
		die("exit", -ret);
	lines = read_lines(fd);
	atomic_fetch_add(&n_reads, 1);
	if (lines < 0) {
		atomic_fetch_add(&n_errors, 1);
		fprintf(stderr, "lab: maps read after exit failed: %s\n", strerror(-lines));
	} else if (lines) {
		atomic_fetch_add(&n_stale, 1);
		atomic_fetch_add(&n_errors, 1);
		fprintf(stderr, "lab: a read after exit listed %ld mappings of a torn-down VMAR\n",
			lines);
	}
	close(fd);
	ret = vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid);
	if (ret)
		die("reap", -ret);
}

struct status_read {
	int pid;
	char text[1024];
	int ret;
};

static void *status_reader(void *arg)
{
	struct status_read *sr = arg;

	sr->ret = vr_read_status(sr->pid, sr->text, sizeof(sr->text));
	return NULL;
}

static void cred_round(void)
{
	struct status_read sr = { .pid = vr_ctl_spawn(ctl, "lab") };
	pthread_t t;
	int ret;

	if (sr.pid < 0)
		die("spawn", -sr.pid);
	ret = setids(sr.pid, 1000);
	if (!ret)
		ret = vr_pause_cmd("arm cred %d", sr.pid);
	if (ret)
		die("setids or arm", -ret);
	if (pthread_create(&t, NULL, status_reader, &sr))
		die("pthread_create", EAGAIN);
	ret = vr_pause_cmd("wait cred %d", sr.pid);
	if (ret)
		die("wait cred", -ret);
	ret = setids(sr.pid, 1001);
	if (ret)
		die("setids", -ret);
	/* plain holds nothing: let the old credentials be freed under it. */
	ret = strcmp(variant, "plain") ? 0 : vr_pause_cmd("barrier");
	if (ret)
		die("barrier", -ret);
	ret = vr_pause_cmd("release cred %d", sr.pid);
	if (ret)
		die("release cred", -ret);
	pthread_join(t, NULL);
	atomic_fetch_add(&n_reads, 1);
	if (sr.ret < 0) {
		atomic_fetch_add(&n_errors, 1);
		fprintf(stderr, "lab: status read failed: %s\n", strerror(-sr.ret));
	} else {
		judge_ids(sr.text, 1000, 1001);
	}
	ret = vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, sr.pid);
	if (!ret)
		ret = vr_pid_op(ctl, VMAR_RACE_IOC_REAP, sr.pid);
	if (ret)
		die("exit or reap", -ret);
}

static void *reader(void *arg)
{
	char path[64], text[1024];
	int pid, fd;
	long lines;

	while (!atomic_load(&stop)) {
		pid = atomic_load(&cur_pid);
		if (!strcmp(race, "cred")) {
			if (vr_read_status(pid, text, sizeof(text)) > 0) {
				atomic_fetch_add(&n_reads, 1);
				judge_ids(text, 1000, 1001);
			}
			continue;
		}
		snprintf(path, sizeof(path), "%s/%d/maps", VMAR_RACE_PROC_ROOT, pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;	/* reaped meanwhile */
		lines = read_lines(fd);
		if (lines >= 0)
			atomic_fetch_add(&n_reads, 1);
		close(fd);
	}
	return NULL;
}

/* The writer: cred flips the ids, maps respawns a mapped pproc. */
static void writer(void)
{
	double end = vr_now() + duration, next = vr_now() + progress_every;
	long r = 0;
	int pid, old;

	pid = !strcmp(race, "cred") ? vr_ctl_spawn(ctl, "lab") : spawn_mapped();
	if (pid < 0)
		die("spawn", -pid);
	old = strcmp(race, "cred") ? 0 : setids(pid, 1000);
	if (old)
		die("setids", -old);
	atomic_store(&cur_pid, pid);
	while (vr_now() < end) {
		r++;
		if (!strcmp(race, "cred")) {
			old = setids(pid, 1000 + (r & 1));
			if (old)
				die("setids", -old);
		} else {
			old = pid;
			pid = spawn_mapped();
			atomic_store(&cur_pid, pid);
			usleep(200);	/* readers open the old one's maps meanwhile */
			vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, old);
			vr_pid_op(ctl, VMAR_RACE_IOC_REAP, old);
		}
		if (progress_every > 0 && vr_now() >= next) {
			printf("lab: %ld rounds, %ld reads\n", r, atomic_load(&n_reads));
			fflush(stdout);
			next += progress_every;
		}
	}
	rounds = r;
	atomic_store(&stop, 1);
	vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid);
	vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid);
}

int main(int argc, char **argv)
{
	const char *param;
	char now[32];
	pthread_t tids[64];
	int opt, i, ret;

	while ((opt = getopt(argc, argv, "a:m:fr:t:d:RP:")) != -1) {
		switch (opt) {
		case 'a':
			race = optarg;
			break;
		case 'm':
			variant = optarg;
			break;
		case 'f':
			forced = 1;
			break;
		case 'r':
			rounds = num(optarg, 1, 1e9, argv[0]);
			break;
		case 't':
			threads = num(optarg, 1, 64, argv[0]);
			break;
		case 'd':
			duration = num(optarg, 0.1, 86400, argv[0]);
			break;
		case 'R':
			marks = 1;
			break;
		case 'P':
			progress_every = num(optarg, 0, 3600, argv[0]);
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || !race || (strcmp(race, "maps") && strcmp(race, "cred")))
		print_usage(argv[0]);
	if ((threads && (forced || !duration)) || (!threads && duration) ||
	    (!strcmp(race, "cred") && !forced && !threads))
		print_usage(argv[0]);
	if (rounds < 0)
		rounds = forced ? 10 : 100;
	param = !strcmp(race, "maps") ? "maps_mode" : "cred_mode";
	ret = variant ? vr_param_write(param, variant) : 0;
	if (ret)
		die(param, -ret);
	vr_param_read(param, now, sizeof(now));
	variant = now;
	ret = vr_mount();
	if (ret)
		die("mount " VMAR_RACE_PROC_ROOT, -ret);
	ctl = open(VMAR_RACE_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		die(VMAR_RACE_DEVICE, errno);
	printf("lab: race=%s %s=%s %s\n", race, param, variant,
	       threads ? "threaded" : forced ? "forced" : "rounds");
	fflush(stdout);

	if (threads) {
		for (i = 0; i < threads; i++)
			if (pthread_create(&tids[i], NULL, reader, NULL))
				die("pthread_create", EAGAIN);
		writer();
		for (i = 0; i < threads; i++)
			pthread_join(tids[i], NULL);
	} else {
		for (i = 0; i < rounds; i++) {
			if (marks)
				vr_round_mark("lab", i + 1);
			if (!strcmp(race, "maps"))
				maps_round();
			else
				cred_round();
		}
	}
	printf("lab: race=%s %s=%s rounds=%ld reads=%ld old=%ld new=%ld stale=%ld errors=%ld\n",
	       race, param, variant, rounds, atomic_load(&n_reads), atomic_load(&n_old),
	       atomic_load(&n_new), atomic_load(&n_stale), atomic_load(&n_errors));
	return atomic_load(&n_errors) ? 1 : 0;
}
