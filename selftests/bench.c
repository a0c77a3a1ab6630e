// SPDX-License-Identifier: GPL-2.0
/*
 * bench: vmar_race read-path costs, measured in one boot so that ratios
 * compare like with like. Prints one JSON object on stdout (figures named
 * with their unit); progress goes to stderr.
 *
 *   bench [-d SECONDS] [-s SCALES] [-q]
 *   -d  seconds per throughput measurement (default 2; 7 rounds each)
 *   -s  comma-separated pproc populations for the scaling test
 *       (default 10,1000,100000)
 *   -q  quick: 0.3 s measurements, populations 10,1000
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "vr_util.h"

#define ROUNDS 7		/* turns of the throughput readers */
#define BATCHES 5		/* scaling test: median of 5 batches */
#define BATCH_OPS 200		/* of 200 operations of each kind */
#define MAX_SCALES 8

static double secs = 2;
static char scales[128] = "10,1000,100000";
static atomic_int stop, writer_pid;
static int ctl;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* One open/read/close of path; 0 or -errno. */
static int read_once(const char *path)
{
	char buf[2048];
	int ret = vr_read_file(path, buf, sizeof(buf));

	return ret < 0 ? ret : 0;
}

struct reader_arg {
	char path[64];
	int follow;		/* read the writer's current pid instead */
	long ops;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	char path[64];

	while (!stop) {
		if (a->follow) {
			snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/status",
				 (int)writer_pid);
			read_once(path);
		} else {
			read_once(a->path);
		}
		a->ops++;
	}
	return NULL;
}

/* Reads per second of path with n threads over secs seconds. */
static double throughput(const char *path, int n, int follow)
{
	struct reader_arg a[8];
	pthread_t t[8];
	double t0, el;
	long total = 0;
	int i;

	stop = 0;
	for (i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		snprintf(a[i].path, sizeof(a[i].path), "%s", path ? path : "");
		a[i].follow = follow;
		pthread_create(&t[i], NULL, reader, &a[i]);
	}
	t0 = vr_now();
	usleep(secs * 1e6);
	stop = 1;
	el = vr_now() - t0;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += a[i].ops;
	}
	return total / el;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Spawn, exit, reap for secs seconds; EXIT latencies in microseconds. */
static void writer_loop(double *median, double *p99, long *cycles)
{
	static double lat[200000];
	double t0 = vr_now(), a;
	long n = 0;
	int pid;

	while (vr_now() - t0 < secs && n < 200000) {
		pid = vr_spawn(ctl, "bw");
		if (pid < 0)
			die("spawn", pid);
		vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ, 0x10000,
			  16 * VMAR_RACE_PAGE_SIZE);
		vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x10000, 4 * VMAR_RACE_PAGE_SIZE);
		writer_pid = pid;
		a = vr_now();
		if (vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid))
			die("exit", errno);
		lat[n++] = (vr_now() - a) * 1e6;
		if (vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid))
			die("reap", errno);
	}
	qsort(lat, n, sizeof(lat[0]), cmp_double);
	*median = n ? lat[n / 2] : 0;
	*p99 = n ? lat[(long)(n * 0.99)] : 0;
	*cycles = n;
}

static void *writer_thread(void *p)
{
	double *out = p;
	long n;

	writer_loop(&out[0], &out[1], &n);
	out[2] = n;
	stop = 1;
	return NULL;
}

/* Readers follow the writer's pproc while it spawns, exits and reaps. */
static void contended(int n, double *reads, double *med, double *p99)
{
	struct reader_arg a[8];
	pthread_t t[8], w;
	double out[3], t0;
	long total = 0;
	int i;

	stop = 0;
	writer_pid = 1;
	for (i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].follow = 1;
		pthread_create(&t[i], NULL, reader, &a[i]);
	}
	t0 = vr_now();
	pthread_create(&w, NULL, writer_thread, out);
	pthread_join(w, NULL);
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += a[i].ops;
	}
	*reads = total / (vr_now() - t0);
	*med = out[0];
	*p99 = out[1];
}

static int populate(int *pids, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		pids[i] = vr_spawn(ctl, "pop");
		if (pids[i] < 0)
			return pids[i];
	}
	return 0;
}

/*
 * One batch of the scaling test at population n: spawn k pprocs, read the
 * status of k pprocs spread over the population twice, exit and reap the k.
 * The first read pass makes procfs build dentries and inodes, a one-off
 * cost of any /proc lookup; the second is the steady state. Costs per
 * operation in us: spawn, first read, read, exit, reap.
 */
static void scale_batch(const int *pop, int n, int *ops, int k, int b,
			double cost[5])
{
	double t0;
	int i, pass;

	t0 = vr_now();
	if (populate(ops, 0, k))
		die("spawn", errno);
	cost[0] = (vr_now() - t0) / k * 1e6;
	for (pass = 0; pass < 2; pass++) {
		t0 = vr_now();
		for (i = 0; i < k; i++) {
			char p[64];

			snprintf(p, sizeof(p), VMAR_RACE_PROC_ROOT "/%d/status",
				 pop[((long)b * k + i) * 7919L % n]);
			read_once(p);
		}
		cost[1 + pass] = (vr_now() - t0) / k * 1e6;
	}
	t0 = vr_now();
	for (i = 0; i < k; i++)
		vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, ops[i]);
	cost[3] = (vr_now() - t0) / k * 1e6;
	t0 = vr_now();
	for (i = 0; i < k; i++)
		vr_pid_op(ctl, VMAR_RACE_IOC_REAP, ops[i]);
	cost[4] = (vr_now() - t0) / k * 1e6;
}

int main(int argc, char **argv)
{
	static const char * const modes[] = { "buggy", "checked", "fixed", "rcu" };
	char path[64], self_path[] = "/proc/self/status", child_path[64];
	int opt, pid, i, j, m, th, b, s, *pop, *ops, have = 0;
	int ns[MAX_SCALES], nscale = 0, maxn = 0;
	double cost[MAX_SCALES][BATCHES][5];
	pid_t child;
	char *tok, *end;

	while ((opt = getopt(argc, argv, "d:s:q")) != -1) {
		switch (opt) {
		case 'd':
			secs = atof(optarg);
			if (secs <= 0 || secs > 600)
				die("-d wants 0-600 seconds", EINVAL);
			break;
		case 's':
			snprintf(scales, sizeof(scales), "%s", optarg);
			break;
		case 'q':
			secs = 0.3;
			snprintf(scales, sizeof(scales), "10,1000");
			break;
		default:
			fprintf(stderr, "usage: %s [-d SECONDS] [-s N,N,...] [-q]\n", argv[0]);
			return 2;
		}
	}
	for (tok = strtok(scales, ","); tok; tok = strtok(NULL, ",")) {
		long n = strtol(tok, &end, 10);

		if (*end || n < 1 || n > 1000000 || nscale == MAX_SCALES)
			die("-s wants up to 8 populations of 1-1000000", EINVAL);
		for (i = 0; i < nscale; i++)
			if (ns[i] == n)
				die("-s lists a population twice", EINVAL);
		ns[nscale++] = n;
		maxn = n > maxn ? n : maxn;
	}
	if (!nscale)
		die("-s wants up to 8 populations of 1-1000000", EINVAL);
	ctl = open(VMAR_RACE_DEVICE, O_RDWR);
	if (ctl < 0)
		die("open " VMAR_RACE_DEVICE, errno);
	vr_param_write("max_procs", "4194303");
	vr_param_write("race_delay_us", "0");
	pid = vr_spawn(ctl, "bench");
	if (pid < 0)
		die("spawn", pid);
	vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
		  0x400000, 256 * VMAR_RACE_PAGE_SIZE);
	vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x400000, 64 * VMAR_RACE_PAGE_SIZE);
	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/status", pid);
	child = fork();
	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(child_path, sizeof(child_path), "/proc/%d/status", child);

	printf("{\n  \"seconds_per_measurement\": %.2f,\n", secs);
	/*
	 * 1. Read throughput of a running pproc, next to Linux's own. TCG
	 * timing drifts over seconds, so the six readers take turns for
	 * ROUNDS rounds and each figure is its median round.
	 */
	printf("  \"throughput_rounds\": %d,\n", ROUNDS);
	for (th = 1; th <= 2; th++) {
		const char *names[6] = { "linux_self", "linux_child", "buggy",
					 "checked", "fixed", "rcu" };
		double tp[6][ROUNDS];
		int r;

		for (r = 0; r < ROUNDS; r++) {
			/* Each round starts with a different reader. */
			for (j = 0; j < 6; j++) {
				i = (j + r) % 6;
				if (i < 2) {
					tp[i][r] = throughput(i ? child_path : self_path,
							      th, 0);
					continue;
				}
				vr_param_write("mode", modes[i - 2]);
				tp[i][r] = throughput(path, th, 0);
			}
			fprintf(stderr, "bench: status reads/s, %d thread(s), round %d/%d:",
				th, r + 1, ROUNDS);
			for (i = 0; i < 6; i++)
				fprintf(stderr, " %s %.0f", names[i], tp[i][r]);
			fputc('\n', stderr);
		}
		for (i = 0; i < 6; i++) {
			qsort(tp[i], ROUNDS, sizeof(tp[i][0]), cmp_double);
			printf("  \"%s_status_%dt_reads_per_s\": %.0f,\n", names[i], th,
			       tp[i][ROUNDS / 2]);
		}
	}
	/* 2. With a writer exiting the pprocs being read (not buggy: it panics). */
	for (m = 1; m < 4; m++) {
		double reads, med, p99;
		long n;

		vr_param_write("mode", modes[m]);
		fprintf(stderr, "bench: writer exit latency, %s\n", modes[m]);
		writer_loop(&med, &p99, &n);
		printf("  \"%s_exit_alone_median_us\": %.2f,\n  \"%s_exit_alone_p99_us\": %.2f,\n",
		       modes[m], med, modes[m], p99);
		for (th = 1; th <= 2; th++) {
			contended(th, &reads, &med, &p99);
			printf("  \"%s_contended_%dt_reads_per_s\": %.0f,\n", modes[m], th, reads);
			printf("  \"%s_exit_with_%dt_readers_median_us\": %.2f,\n",
			       modes[m], th, med);
			printf("  \"%s_exit_with_%dt_readers_p99_us\": %.2f,\n", modes[m], th, p99);
		}
	}
	/*
	 * 3. Per-operation cost at each population. The populations take
	 * turns (grown and shrunk between batches), so that TCG's drift
	 * falls on all of them alike; each figure is the median batch.
	 */
	vr_param_write("mode", "fixed");
	pop = malloc(sizeof(*pop) * maxn);
	ops = malloc(sizeof(*ops) * BATCH_OPS);
	if (!pop || !ops)
		die("malloc", ENOMEM);
	for (b = 0; b < BATCHES; b++) {
		for (s = 0; s < nscale; s++) {
			fprintf(stderr, "bench: scaling, batch %d/%d, %d pprocs\n",
				b + 1, BATCHES, ns[s]);
			for (i = ns[s]; i < have; i++) {	/* shrink */
				vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pop[i]);
				vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pop[i]);
			}
			if (populate(pop, have < ns[s] ? have : ns[s], ns[s]))
				die("populate", errno);
			have = ns[s];
			scale_batch(pop, have, ops, BATCH_OPS, b, cost[s][b]);
		}
	}
	for (s = 0; s < nscale; s++) {
		double med[5];
		int c;

		for (c = 0; c < 5; c++) {
			double col[BATCHES];

			for (b = 0; b < BATCHES; b++)
				col[b] = cost[s][b][c];
			qsort(col, BATCHES, sizeof(col[0]), cmp_double);
			med[c] = col[BATCHES / 2];
		}
		printf("  \"scale_%d_spawn_us\": %.2f,\n  \"scale_%d_status_read_us\": %.2f,\n"
		       "  \"scale_%d_status_first_read_us\": %.2f,\n"
		       "  \"scale_%d_exit_us\": %.2f,\n  \"scale_%d_reap_us\": %.2f,\n",
		       ns[s], med[0], ns[s], med[2], ns[s], med[1], ns[s], med[3],
		       ns[s], med[4]);
	}
	free(ops);
	free(pop);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("  \"scales\": \"");
	for (s = 0; s < nscale; s++)
		printf("%s%d", s ? "," : "", ns[s]);
	printf("\"\n}\n");
	return 0;
}
