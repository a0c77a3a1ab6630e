// SPDX-License-Identifier: GPL-2.0
/*
 * bench: vmar_race read-path costs, measured in one boot so that ratios
 * compare like with like. Prints one JSON object on stdout (figures named
 * with their unit); progress goes to stderr.
 *
 * TCG's speed drifts by tens of percent over seconds (and with the host's
 * load), so nothing is measured in one piece: the readers, the writer's
 * conditions and the populations take turns in short slices, and every
 * goal ratio is also given as the median of per-round ratios, each taken
 * from slices a second or so apart.
 *
 *   bench [-d SECONDS] [-s SCALES] [-q] [-S]
 *   bench -T PLAIN.ko,TRACED.ko [-d SECONDS] [-q]
 *   bench -R [-d SECONDS] [-q]
 *   -d  seconds per throughput figure, in 0.25 s slices (default 12)
 *   -s  comma-separated pproc populations for the scaling test
 *       (default 10,1000,100000)
 *   -q  quick: 1.2 s figures in 0.1 s slices, populations 10,1000
 *   -S  the scaling test alone (run it several times to see its spread)
 *   -T  the trace events' cost alone: fixed-mode status reads per second
 *       with the module built without events (PLAIN, -DNOTRACE), with them
 *       compiled in and disabled, and enabled, each round reloading the
 *       module (the order alternates), ratios the median of per-round ones
 *   -R  the Rust twin against the C module, both loaded in this boot:
 *       status reads per second of a running pproc of each, in fixed and
 *       checked, slices taking turns (the order alternates), ratios
 *       Rust / C as the median of per-round ones
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "vr_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define MAX_ROUNDS 240	/* slices per figure */
#define MAX_BATCHES 11		/* scaling test: rounds of batches */
#define BATCH_OPS 1000		/* of 1000 operations of each kind */
#define MAX_SCALES 8
#define LAT_MAX 1048576		/* exit latencies kept per condition */

static double secs = 12, slice = 0.25;
static int batches = MAX_BATCHES;
static char scales[128] = "10,1000,100000";
static atomic_int stop, writer_pid;
static int ctl, ncpus;

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

/* Reads per second of path with n threads over dur seconds. */
static double throughput(const char *path, int n, double dur)
{
	struct reader_arg a[8];
	pthread_t t[8];
	double t0, el;
	long total = 0;
	int i;

	stop = 0;
	for (i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		snprintf(a[i].path, sizeof(a[i].path), "%s", path);
		pthread_create(&t[i], NULL, reader, &a[i]);
	}
	t0 = vr_now();
	usleep(dur * 1e6);
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

/* The q-quantile (0.5: median) of v[0..n), sorting v. */
static double quantile(double *v, long n, double q)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n ? v[(long)(n * q)] : 0;
}

/* EXIT latencies in microseconds, pooled over the rounds of a condition. */
struct lat {
	double *v;
	long n;
};

/* Spawn, map, touch, exit, reap for dur seconds; record EXIT latencies. */
static void writer_loop(double dur, struct lat *l)
{
	double t0 = vr_now(), a;
	int pid;

	while (vr_now() - t0 < dur && l->n < LAT_MAX) {
		pid = vr_ctl_spawn(ctl, "bw");
		if (pid < 0)
			die("spawn", pid);
		vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ, 0x10000,
			  16 * VMAR_RACE_PAGE_SIZE);
		vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x10000, 4 * VMAR_RACE_PAGE_SIZE);
		writer_pid = pid;
		a = vr_now();
		if (vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pid))
			die("exit", errno);
		l->v[l->n++] = (vr_now() - a) * 1e6;
		if (vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pid))
			die("reap", errno);
	}
}

static cpu_set_t all_cpus;	/* the affinity bench started with */

/* Run the calling thread on cpu only, or (cpu < 0) where it started. */
static void pin_self(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), cpu >= 0 ? &one : &all_cpus))
		die("sched_setaffinity", errno);
}

static void *pinned_reader(void *p)
{
	pin_self(1);
	return reader(p);
}

/*
 * The writer for dur seconds with n readers (0-2) following its pproc
 * while it spawns, exits and reaps. With pin, the writer keeps CPU 0 and
 * the readers share CPU 1, so that the writer's latency shows what the
 * readers cost it through the module, not through the scheduler. Adds the
 * readers' reads and the elapsed time to *reads and *el.
 */
static void contended(int n, bool pin, double dur, struct lat *l, double *reads,
		      double *el)
{
	struct reader_arg a[8];
	pthread_t t[8];
	double t0;
	int i;

	stop = 0;
	writer_pid = 1;
	if (pin)
		pin_self(0);
	for (i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].follow = 1;
		pthread_create(&t[i], NULL, pin ? pinned_reader : reader, &a[i]);
	}
	t0 = vr_now();
	writer_loop(dur, l);
	stop = 1;
	*el += vr_now() - t0;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		*reads += a[i].ops;
	}
	if (pin)
		pin_self(-1);
}

static int populate(int *pids, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		pids[i] = vr_ctl_spawn(ctl, "pop");
		if (pids[i] < 0)
			return pids[i];
	}
	return 0;
}

/*
 * One batch of the scaling test at population n: spawn k pprocs, read the
 * status of k pprocs spread over the population twice, then k reads of 10
 * pprocs spread over it, exit and reap the k. The first read pass makes the
 * filesystem build dentries and inodes, a one-off cost of any /proc lookup;
 * the second is the steady state of a working set of k pprocs (at n = 10,
 * of the same 10). The hot reads keep the reader's working set at 10 pprocs
 * whatever n is, so they measure what the population itself costs a read.
 * Costs per operation in us: spawn, first read, read, hot read, exit, reap.
 */
#define HOT_PPROCS 10

static void scale_batch(const int *pop, int n, int *ops, int k, int b,
			double cost[6])
{
	char p[64];
	double t0;
	int i, pass;

	t0 = vr_now();
	if (populate(ops, 0, k))
		die("spawn", errno);
	cost[0] = (vr_now() - t0) / k * 1e6;
	for (pass = 0; pass < 2; pass++) {
		t0 = vr_now();
		for (i = 0; i < k; i++) {
			snprintf(p, sizeof(p), VMAR_RACE_PROC_ROOT "/%d/status",
				 pop[((long)b * k + i) * 7919L % n]);
			read_once(p);
		}
		cost[1 + pass] = (vr_now() - t0) / k * 1e6;
	}
	for (pass = 0; pass < 2; pass++) {	/* a warm-up pass, then the timed one */
		t0 = vr_now();
		for (i = 0; i < k; i++) {
			snprintf(p, sizeof(p), VMAR_RACE_PROC_ROOT "/%d/status",
				 pop[(long)(i % HOT_PPROCS) * n / HOT_PPROCS]);
			read_once(p);
		}
		cost[3] = (vr_now() - t0) / k * 1e6;
	}
	t0 = vr_now();
	for (i = 0; i < k; i++)
		vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, ops[i]);
	cost[4] = (vr_now() - t0) / k * 1e6;
	t0 = vr_now();
	for (i = 0; i < k; i++)
		vr_pid_op(ctl, VMAR_RACE_IOC_REAP, ops[i]);
	cost[5] = (vr_now() - t0) / k * 1e6;
}

/* Median over rounds of num[r] / den[r]. */
static double paired(const double *num, const double *den, int n)
{
	double q[MAX_ROUNDS];
	int i;

	for (i = 0; i < n; i++)
		q[i] = den[i] > 0 ? num[i] / den[i] : 0;
	return quantile(q, n, 0.5);
}

/*
 * 1. Status reads per second of a running pproc per mode, next to Linux's
 * own, with th threads. The six readers take turns in slices; each figure
 * is the median slice.
 */
static void read_throughput(int th, const char *path, const char *self_path,
			    const char *child_path, int rounds)
{
	static const char * const names[6] = { "linux_self", "linux_child",
		"buggy", "checked", "fixed", "rcu" };
	static double tp[6][MAX_ROUNDS];
	double v[MAX_ROUNDS];
	int i, j, r;

	for (r = 0; r < rounds; r++) {
		if (r % 10 == 0)
			fprintf(stderr, "bench: status reads, %d thread(s), round %d/%d\n",
				th, r + 1, rounds);
		for (j = 0; j < 6; j++) {	/* each round starts elsewhere */
			i = (j + r) % 6;
			if (i >= 2)
				vr_param_write("mode", names[i]);
			tp[i][r] = throughput(i == 0 ? self_path :
					      i == 1 ? child_path : path, th, slice);
		}
	}
	for (i = 0; i < 6; i++) {
		memcpy(v, tp[i], sizeof(double) * rounds);
		printf("  \"%s_status_%dt_reads_per_s\": %.0f,\n", names[i], th,
		       quantile(v, rounds, 0.5));
	}
	printf("  \"fixed_vs_buggy_status_%dt_ratio\": %.3f,\n", th,
	       paired(tp[4], tp[2], rounds));
	printf("  \"rcu_vs_buggy_status_%dt_ratio\": %.3f,\n", th,
	       paired(tp[5], tp[2], rounds));
	printf("  \"fixed_vs_linux_self_status_%dt_ratio\": %.3f,\n", th,
	       paired(tp[4], tp[0], rounds));
}

/*
 * 1b. The later races' fixes against their buggy reads, one thread, in
 * turns as in 1: status reads by cred_mode (nothing replaces the ids
 * meanwhile, so plain is safe here), maps reads (an open and a pin each)
 * by maps_mode, and Linux's /proc/self/status beside them.
 */
static void lab_throughput(const char *status, const char *maps,
			   const char *self_path, int rounds)
{
	static const struct {
		const char *name, *param, *val;
		int maps;
	} v[] = {
		{ "linux_self_lab", NULL, NULL, 0 },
		{ "cred_plain", "cred_mode", "plain", 0 },
		{ "cred_rcu", "cred_mode", "rcu", 0 },
		{ "cred_get", "cred_mode", "get", 0 },
		{ "maps_grab", "maps_mode", "grab", 1 },
		{ "maps_upgrade", "maps_mode", "upgrade", 1 },
		{ "maps_lookup", "maps_mode", "lookup", 1 },
	};
	enum { N = ARRAY_SIZE(v) };
	static double tp[N][MAX_ROUNDS];
	double q[MAX_ROUNDS];
	int i, j, r;

	fprintf(stderr, "bench: the later races' reads, %d rounds\n", rounds);
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < N; j++) {
			i = (j + r) % N;
			if (v[i].param)
				vr_param_write(v[i].param, v[i].val);
			tp[i][r] = throughput(!v[i].param ? self_path :
					      v[i].maps ? maps : status, 1, slice);
		}
	}
	vr_param_write("cred_mode", "rcu");
	vr_param_write("maps_mode", "lookup");
	for (i = 0; i < N; i++) {
		memcpy(q, tp[i], sizeof(double) * rounds);
		printf("  \"%s_reads_per_s\": %.0f,\n", v[i].name, quantile(q, rounds, 0.5));
	}
	printf("  \"cred_rcu_vs_plain_ratio\": %.3f,\n", paired(tp[2], tp[1], rounds));
	printf("  \"cred_get_vs_plain_ratio\": %.3f,\n", paired(tp[3], tp[1], rounds));
	printf("  \"maps_upgrade_vs_grab_ratio\": %.3f,\n", paired(tp[5], tp[4], rounds));
	printf("  \"cred_rcu_vs_linux_self_ratio\": %.3f,\n", paired(tp[2], tp[0], rounds));
}

/*
 * 2. The writer alone, with one and with two readers following its pproc,
 * and (given 2 CPUs) with two readers confined to the CPU the writer does
 * not use, in turns; latencies are pooled per condition.
 */
static void exit_latency(const char *mode, int rounds)
{
	static const struct {
		const char *name, *readers;	/* JSON key parts */
		int n;
		bool pin;
	} cond[4] = {
		{ "alone", "", 0, false },
		{ "with_1t_readers", "1t", 1, false },
		{ "with_2t_readers", "2t", 2, false },
		{ "with_2t_readers_other_cpu", "2t_other_cpu", 2, true },
	};
	static struct lat l[4];
	double reads[4] = { 0 }, el[4] = { 0 };
	long waits = 0, exits = 0, w0, w1, n0;
	int c, j, r, nc = ncpus >= 2 ? 4 : 3;	/* pinning needs 2 CPUs */

	vr_param_write("mode", mode);
	fprintf(stderr, "bench: writer exit latency, %s\n", mode);
	for (c = 0; c < nc; c++) {
		if (!l[c].v)
			l[c].v = malloc(sizeof(double) * LAT_MAX);
		if (!l[c].v)
			die("malloc", ENOMEM);
		l[c].n = 0;
	}
	for (r = 0; r < rounds; r++)
		for (j = 0; j < nc; j++) {
			c = (j + r) % nc;
			n0 = l[c].n;
			w0 = vr_stat("exit_lock_waits");
			contended(cond[c].n, cond[c].pin, slice, &l[c], &reads[c], &el[c]);
			w1 = vr_stat("exit_lock_waits");
			if (w0 < 0 || w1 < 0)
				die("read " VMAR_RACE_STATS, EIO);
			if (cond[c].n) {	/* alone, no reader holds anything */
				exits += l[c].n - n0;
				waits += w1 - w0;
			}
		}
	/* P4 as a count: exits that found pp->lock held (by a reader). */
	printf("  \"%s_exit_lock_waits\": %ld,\n  \"%s_exits_with_readers\": %ld,\n",
	       mode, waits, mode, exits);
	for (c = 0; c < nc; c++) {
		if (!l[c].n)
			die("writer made no progress", EIO);
		if (cond[c].n)
			printf("  \"%s_contended_%s_reads_per_s\": %.0f,\n", mode,
			       cond[c].readers, reads[c] / el[c]);
		printf("  \"%s_exit_%s_median_us\": %.2f,\n", mode, cond[c].name,
		       quantile(l[c].v, l[c].n, 0.5));
		printf("  \"%s_exit_%s_p99_us\": %.2f,\n", mode, cond[c].name,
		       quantile(l[c].v, l[c].n, 0.99));
	}
}

/*
 * 3. Per-operation cost at each population, in fixed mode. The
 * populations take turns, in a rotating order (grown and shrunk between
 * batches); each figure is the median batch, and each goal ratio the
 * median of per-round ratios.
 */
static void scaling(const int *ns, int nscale, int maxn)
{
	static const char * const ops_names[6] = { "spawn", "status_first_read",
		"status_read", "status_hot_read", "exit", "reap" };
	static double cost[MAX_SCALES][6][MAX_BATCHES];
	int *pop, *ops, have = 0, lo = 0, hi = 0, b, c, i, j, s;
	double v[MAX_BATCHES];

	vr_param_write("mode", "fixed");
	pop = malloc(sizeof(*pop) * maxn);
	ops = malloc(sizeof(*ops) * BATCH_OPS);
	if (!pop || !ops)
		die("malloc", ENOMEM);
	for (b = 0; b < batches; b++) {
		fprintf(stderr, "bench: per-operation costs, round %d/%d\n", b + 1, batches);
		for (j = 0; j < nscale; j++) {
			double one[6];

			s = (j + b) % nscale;	/* each follows a grow and a shrink */

			for (i = ns[s]; i < have; i++) {	/* shrink */
				vr_pid_op(ctl, VMAR_RACE_IOC_EXIT, pop[i]);
				vr_pid_op(ctl, VMAR_RACE_IOC_REAP, pop[i]);
			}
			if (populate(pop, have < ns[s] ? have : ns[s], ns[s]))
				die("populate", errno);
			have = ns[s];
			/*
			 * Let the resize's RCU frees run first (the stats
			 * file waits for them) so the batch does not pay.
			 */
			if (read_once(VMAR_RACE_STATS))
				die("read " VMAR_RACE_STATS, EIO);
			usleep(100000);
			scale_batch(pop, have, ops, BATCH_OPS, b, one);
			for (c = 0; c < 6; c++)
				cost[s][c][b] = one[c];
			fprintf(stderr, "bench:   %d pprocs, us: spawn %.2f read1 %.2f",
				ns[s], one[0], one[1]);
			fprintf(stderr, " read %.2f hot %.2f exit %.2f reap %.2f\n",
				one[2], one[3], one[4], one[5]);
		}
	}
	for (s = 0; s < nscale; s++) {
		lo = ns[s] < ns[lo] ? s : lo;
		hi = ns[s] > ns[hi] ? s : hi;
		for (c = 0; c < 6; c++) {
			memcpy(v, cost[s][c], sizeof(double) * batches);
			printf("  \"scale_%d_%s_us\": %.2f,\n", ns[s], ops_names[c],
			       quantile(v, batches, 0.5));
		}
	}
	for (c = 0; lo != hi && c < 6; c++)
		printf("  \"scale_%d_vs_%d_%s_ratio\": %.3f,\n", ns[hi], ns[lo],
		       ops_names[c], paired(cost[hi][c], cost[lo][c], batches));
	free(ops);
	free(pop);
}

/* ---- -T: the trace events' cost ---- */

static void run(const char *cmd)
{
	int ret = system(cmd);

	if (ret)
		die(cmd, ret < 0 ? errno : EIO);
}

static void load_module(const char *ko)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "insmod %s mode=fixed && mount -t %s %s %s", ko,
		 VMAR_RACE_FS_TYPE, VMAR_RACE_FS_TYPE, VMAR_RACE_PROC_ROOT);
	run(cmd);
}

static void unload_module(void)
{
	run("umount " VMAR_RACE_PROC_ROOT " && rmmod vmar_race");
}

static void trace_events(int on)
{
	int fd = open("/sys/kernel/tracing/events/vmar_race/enable", O_WRONLY);

	if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1)
		die("events/vmar_race/enable (tracefs mounted?)", errno);
	close(fd);
}

/* Status reads per second of a fresh running pproc for dur seconds. */
static double trace_slice(double dur)
{
	char path[64];
	double r;
	int fd = open(VMAR_RACE_DEVICE, O_RDWR), pid;

	if (fd < 0)
		die("open " VMAR_RACE_DEVICE, errno);
	pid = vr_ctl_spawn(fd, "bench");
	if (pid < 0)
		die("spawn", pid);
	vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
		  0x400000, 256 * VMAR_RACE_PAGE_SIZE);
	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/status", pid);
	read_once(path);	/* warm the dentry */
	r = throughput(path, 1, dur);
	close(fd);		/* exits it; rmmod reaps */
	return r;
}

static int trace_cost(const char *arg, int rounds, double dur)
{
	static double none[MAX_ROUNDS], off[MAX_ROUNDS], on[MAX_ROUNDS], v[MAX_ROUNDS];
	char plain[256], traced[256], *comma;
	int r;

	snprintf(plain, sizeof(plain), "%s", arg);
	comma = strchr(plain, ',');
	if (!comma || !comma[1])
		die("-T wants PLAIN.ko,TRACED.ko", EINVAL);
	*comma = '\0';
	snprintf(traced, sizeof(traced), "%s", comma + 1);
	if (access(plain, R_OK) || access(traced, R_OK))
		die("-T: a module file is missing", ENOENT);
	unload_module();	/* the one the VM loaded */
	for (r = 0; r < rounds; r++) {
		if (r & 1) {
			load_module(traced);
			off[r] = trace_slice(dur);
			trace_events(1);
			on[r] = trace_slice(dur);
			trace_events(0);
			unload_module();
		}
		load_module(plain);
		none[r] = trace_slice(dur);
		unload_module();
		if (!(r & 1)) {
			load_module(traced);
			off[r] = trace_slice(dur);
			trace_events(1);
			on[r] = trace_slice(dur);
			trace_events(0);
			unload_module();
		}
		fprintf(stderr, "bench: trace round %d: none %.0f, off %.0f, on %.0f reads/s\n",
			r + 1, none[r], off[r], on[r]);
	}
	load_module(traced);	/* leave the VM as it was */
	printf("{\n  \"trace_rounds\": %d,\n  \"trace_slice_seconds\": %.2f,\n", rounds, dur);
	memcpy(v, none, sizeof(double) * rounds);
	printf("  \"trace_none_reads_per_s\": %.0f,\n", quantile(v, rounds, 0.5));
	memcpy(v, off, sizeof(double) * rounds);
	printf("  \"trace_off_reads_per_s\": %.0f,\n", quantile(v, rounds, 0.5));
	memcpy(v, on, sizeof(double) * rounds);
	printf("  \"trace_on_reads_per_s\": %.0f,\n", quantile(v, rounds, 0.5));
	printf("  \"trace_off_vs_none_ratio\": %.3f,\n", paired(off, none, rounds));
	printf("  \"trace_on_vs_none_ratio\": %.3f\n}\n", paired(on, none, rounds));
	return 0;
}

/* ---- -R: the Rust twin against the C module, one kernel, one boot ---- */

/* Set the read path of module name (vmar_race or vmar_race_rs). */
static void set_mode(const char *name, const char *mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/mode", name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, mode, strlen(mode)) < 0)
		die(path, errno);
	close(fd);
}

/* A running pproc of the module behind dev, mapped; its status path. */
static int rust_pproc(const char *dev, const char *root, char *path, size_t size)
{
	int fd = open(dev, O_RDWR), pid;

	if (fd < 0)
		die(dev, errno);
	pid = vr_ctl_spawn(fd, "bench");
	if (pid < 0)
		die("spawn", pid);
	vr_map_op(fd, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
		  0x400000, 256 * VMAR_RACE_PAGE_SIZE);
	vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pid, 0, 0x400000, 64 * VMAR_RACE_PAGE_SIZE);
	snprintf(path, size, "%s/%d/status", root, pid);
	if (read_once(path))
		die(path, EIO);
	return fd;	/* held: closing it exits the pproc */
}

static int rust_vs_c(int rounds)
{
	static const char * const modes[] = { "fixed", "checked" };
	static double c[MAX_ROUNDS], rs[MAX_ROUNDS], v[MAX_ROUNDS];
	char cpath[64], rpath[64];
	int cfd, rfd, m, r;

	if (access("/sys/module/vmar_race_rs", F_OK))
		die("-R: vmar_race_rs is not loaded", ENOENT);
	vr_module_select("vmar_race_rs");
	vr_mount();
	vr_module_select("vmar_race");
	cfd = rust_pproc(VMAR_RACE_DEVICE, VMAR_RACE_PROC_ROOT, cpath, sizeof(cpath));
	rfd = rust_pproc("/dev/vmar_race_rs", "/proc/vmar_race_rs", rpath, sizeof(rpath));
	printf("{\n  \"rust_rounds\": %d,\n  \"rust_slice_seconds\": %.2f,\n", rounds, slice);
	for (m = 0; m < (int)ARRAY_SIZE(modes); m++) {
		set_mode("vmar_race", modes[m]);
		set_mode("vmar_race_rs", modes[m]);
		for (r = 0; r < rounds; r++) {
			if (r & 1)
				rs[r] = throughput(rpath, 1, slice);
			c[r] = throughput(cpath, 1, slice);
			if (!(r & 1))
				rs[r] = throughput(rpath, 1, slice);
		}
		fprintf(stderr, "bench: %s status reads, Rust / C: %.3f\n", modes[m],
			paired(rs, c, rounds));
		memcpy(v, c, sizeof(double) * rounds);
		printf("  \"rust_%s_c_reads_per_s\": %.0f,\n", modes[m], quantile(v, rounds, 0.5));
		memcpy(v, rs, sizeof(double) * rounds);
		printf("  \"rust_%s_rust_reads_per_s\": %.0f,\n", modes[m],
		       quantile(v, rounds, 0.5));
		printf("  \"rust_%s_rust_vs_c_ratio\": %.3f%s\n", modes[m], paired(rs, c, rounds),
		       m + 1 < (int)ARRAY_SIZE(modes) ? "," : "\n}");
	}
	close(rfd);
	close(cfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const char * const exit_modes[] = { "checked", "fixed", "rcu" };
	char path[64], self_path[] = "/proc/self/status", child_path[64], maps_path[64];
	int opt, pid, i, m, th, rounds, ns[MAX_SCALES], nscale = 0, maxn = 0;
	pid_t child;
	char *tok, *end, *trace = NULL;
	int scaling_only = 0, rust = 0;

	vr_mount();	/* /proc/vmar_race, if root and not mounted yet */
	while ((opt = getopt(argc, argv, "d:s:qST:R")) != -1) {
		switch (opt) {
		case 'd':
			secs = strtod(optarg, &end);
			if (*end || !(secs >= 1 && secs <= 60))
				die("-d wants 1-60 seconds", EINVAL);
			break;
		case 's':
			snprintf(scales, sizeof(scales), "%s", optarg);
			break;
		case 'q':
			secs = 1.2;
			slice = 0.1;
			batches = 3;
			snprintf(scales, sizeof(scales), "10,1000");
			break;
		case 'T':
			trace = optarg;
			break;
		case 'S':
			scaling_only = 1;
			break;
		case 'R':
			rust = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-d SECONDS] [-s N,N,...] [-q] [-S]\n"
				"       %s -T PLAIN.ko,TRACED.ko [-d SECONDS] [-q]\n"
				"       %s -R [-d SECONDS] [-q]\n",
				argv[0], argv[0], argv[0]);
			return 2;
		}
	}
	rounds = secs / slice + 0.5;
	/* -T: rounds of three 0.5 s slices (0.2 s with -q), a module load each. */
	if (rust)
		return rust_vs_c(rounds);
	if (trace)
		return trace_cost(trace, slice < 0.2 ? 5 : 2 * secs, slice < 0.2 ? 0.2 : 0.5);
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
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
		die("sched_getaffinity", errno);
	ctl = open(VMAR_RACE_DEVICE, O_RDWR);
	if (ctl < 0)
		die("open " VMAR_RACE_DEVICE, errno);
	vr_param_write("max_procs", "4194303");
	vr_param_write("race_delay_us", "0");
	pid = vr_ctl_spawn(ctl, "bench");
	if (pid < 0)
		die("spawn", pid);
	vr_map_op(ctl, VMAR_RACE_IOC_MAP, pid, VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE,
		  0x400000, 256 * VMAR_RACE_PAGE_SIZE);
	vr_map_op(ctl, VMAR_RACE_IOC_TOUCH, pid, 0, 0x400000, 64 * VMAR_RACE_PAGE_SIZE);
	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/status", pid);
	snprintf(maps_path, sizeof(maps_path), VMAR_RACE_PROC_ROOT "/%d/maps", pid);
	child = fork();
	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(child_path, sizeof(child_path), "/proc/%d/status", child);

	printf("{\n  \"cpus\": %d,\n  \"seconds_per_figure\": %.2f,\n"
	       "  \"slice_seconds\": %.2f,\n  \"rounds\": %d,\n  \"scaling_rounds\": %d,\n",
	       ncpus, secs, slice, rounds, batches);
	for (th = 1; !scaling_only && th <= 2; th++)
		read_throughput(th, path, self_path, child_path, rounds);
	if (!scaling_only)
		lab_throughput(path, maps_path, self_path, rounds);
	/* Not buggy: its reader of an exited pproc panics. */
	for (m = 0; !scaling_only && m < 3; m++)
		exit_latency(exit_modes[m], rounds);
	scaling(ns, nscale, maxn);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("  \"scales\": \"");
	for (i = 0; i < nscale; i++)
		printf("%s%d", i ? "," : "", ns[i]);
	printf("\"\n}\n");
	return 0;
}
