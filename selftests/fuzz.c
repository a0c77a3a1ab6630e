// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a seeded ioctl and read fuzzer for vmar_race's fixed modes.
 *
 * Threads (each with its own xorshift stream derived from the seed, so a
 * thread's operation sequence is reproducible; the interleaving is not):
 *  - model workers (-t N): each owns a control file and up to 8 pprocs and
 *    keeps an exact model of them (mappings, resident pages, state); every
 *    ioctl's result must be the model's errno, and status and maps must
 *    match the model after every change;
 *  - a chaos thread: garbage and boundary arguments (bad pointers, unknown
 *    commands, flags, names, ranges, pids), ioctls on other threads' pids,
 *    forked children that spawn pprocs and _exit or are killed (their
 *    pprocs must then be zombies), and parameter writes: mode among the
 *    fixed modes, invalid values that must be refused;
 *  - a reader thread: status and maps of any listed pid, whose format and
 *    internal consistency are checked.
 * Every second all threads meet and the stats invariants are checked
 * (spawned - reaped = live + zombie, vmars_alive = live, one directory per
 * pproc, unwrap_none unchanged). With -F (failslab on the module's caches)
 * ENOMEM is also allowed wherever the module allocates. -R: readers only,
 * tolerating the module going away (for the unload loop).
 *
 * -G (pid guessing) splits the run: the threads above for the first
 * GUESS_MODEL_SECS seconds (half of -d if that is shorter), then, once they
 * are gone and their pprocs reaped, a guessing phase for the rest. Pids are
 * allocated cyclically, so the next pid is usually the last one plus one,
 * and any descriptor may EXIT and REAP any pid: spawner threads spawn in a
 * loop on their own descriptors and publish the latest pid they got; guesser
 * threads, on descriptors of their own, EXIT and REAP the next GUESS_WINDOW
 * pids after it as soon as they exist, racing the end of the spawn ioctl
 * (vr_pproc_publish() after its xa_store(): the pproc is findable before the
 * ioctl returns). A reader thread reads status and maps meanwhile. SPAWN may
 * return 0 or -EAGAIN (and -ENOMEM with -F), EXIT and REAP 0, -ESRCH or
 * -EINVAL; anything else is a violation. A guess may hit any pid, so the
 * phases never overlap and the model stays exact; pprocs that exist when the
 * phase starts (not the fuzzer's) are never guessed. A spawner keeps its
 * last GUESS_RING pids and exits and reaps the oldest before each spawn
 * ("swept": the guessers missed it), so the pprocs stay few; at the end the
 * descriptors are closed and what is left is reaped. The invariants are
 * checked every second and at the end of this phase too.
 *
 * The last line: "fuzz: seed=S ops=N ... violations=V"; exit 1 if V > 0.
 * With -G the line before it is "fuzz: guess: N spawns, N predicted exits,
 * N predicted reaps, N early exits, N swept, N reaped at the end".
 */
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "vr_util.h"

#define NPAGES		32	/* model window: pages [0, NPAGES) of BASE */
#define BASE		0x400000ull
#define PG		VMAR_RACE_PAGE_SIZE
#define MAX_OWN		8
#define MAX_MAPS	12	/* max_maps while fuzzing, to reach the limit */
#define MAX_THREADS	16

static unsigned long long seed;
static double duration = 10;
static int nworkers = 2, faults, readers_only, guess, verbose;
static atomic_int stop;
static atomic_long n_ops, n_reads, n_forks, n_params, n_enomem, n_violations;
static atomic_long n_gspawns, n_gexits, n_greaps, n_gearly, n_gswept, n_gleft;
static pthread_barrier_t epoch_start, epoch_end;

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&n_violations, 1) >= 20)
		return;
	va_start(ap, fmt);
	fputs("fuzz: VIOLATION: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int pick(__u64 *s, unsigned int n)
{
	return rnd(s) % n;
}

/* ret (0 or -errno) must be one of the listed values. */
#define EXPECT_IN(ret, what, ...) do {					\
	static const int ok_[] = { __VA_ARGS__, 1 };			\
	int r_ = (ret);							\
	const int *o_ = ok_;						\
	while (*o_ != 1 && *o_ != r_)					\
		o_++;							\
	if (*o_ == 1)							\
		violation("%s returned %d (%s)", what, r_,		\
			  r_ < 0 ? strerror(-r_) : "success");		\
} while (0)

/* Open the control device; with failslab on, open itself may fail. */
static int ctl_open(void)
{
	int fd, tries = 0;

	while ((fd = open(VMAR_RACE_DEVICE, O_RDWR)) < 0 && errno == ENOMEM &&
	       faults && ++tries < 1000)
		n_enomem++;
	if (fd < 0)
		violation("open %s: %s", VMAR_RACE_DEVICE, strerror(errno));
	return fd;
}

/* ---- stats ---- */

struct stats { long spawned, exited, reaped, live, zombie, vmars_alive, unwrap_none; };

/* Value of "name   N" in the stats file, or -1. */
static long stat_field(const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtol(p + len, NULL, 10);
	return -1;
}

static int stats_read(struct stats *st)
{
	char buf[1024];

	if (vr_read_file(VMAR_RACE_STATS, buf, sizeof(buf)) <= 0)
		return -1;
	st->spawned = stat_field(buf, "spawned");
	st->exited = stat_field(buf, "exited");
	st->reaped = stat_field(buf, "reaped");
	st->live = stat_field(buf, "live");
	st->zombie = stat_field(buf, "zombie");
	st->vmars_alive = stat_field(buf, "vmars_alive");
	st->unwrap_none = stat_field(buf, "unwrap_none");
	return 0;
}

static long count_dirs(void)
{
	DIR *d = opendir(VMAR_RACE_PROC_ROOT);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

static struct stats base;

/* All threads are parked: the counters must agree with each other. */
static void check_invariants(const char *when)
{
	struct stats st;
	long dirs = count_dirs();

	if (stats_read(&st)) {
		violation("%s: cannot read %s", when, VMAR_RACE_STATS);
		return;
	}
	if (st.spawned - st.reaped != st.live + st.zombie)
		violation("%s: spawned %ld - reaped %ld != live %ld + zombie %ld",
			  when, st.spawned, st.reaped, st.live, st.zombie);
	if (st.spawned - st.exited != st.live)
		violation("%s: spawned %ld - exited %ld != live %ld",
			  when, st.spawned, st.exited, st.live);
	if (st.vmars_alive != st.live)
		violation("%s: vmars_alive %ld != live %ld", when, st.vmars_alive, st.live);
	if (dirs != st.live + st.zombie)
		violation("%s: %ld directories for %ld pprocs", when, dirs, st.live + st.zombie);
	if (st.unwrap_none != base.unwrap_none)
		violation("%s: unwrap_none rose to %ld in a fixed mode", when, st.unwrap_none);
}

/* ---- status and maps parsing ---- */

struct status { bool ok, running, vm; long pid, size, rss, anon, file, maps; };

static int status_get(int pid, struct status *s, char *buf, size_t size)
{
	int ret = vr_read_status(pid, buf, size);

	memset(s, 0, sizeof(*s));
	if (ret < 0)
		return ret;
	s->ok = !strncmp(buf, "Name:\t", 6) && strstr(buf, "\nState:\t");
	s->running = strstr(buf, "State:\tR (running)");
	s->pid = vr_field(buf, "Pid");
	s->size = vr_field(buf, "VmSize");
	s->vm = s->size >= 0;
	s->rss = vr_field(buf, "VmRSS");
	s->anon = vr_field(buf, "RssAnon");
	s->file = vr_field(buf, "RssFile");
	s->maps = vr_field(buf, "Mappings");
	return 0;
}

/* Internally consistent? (any pid, any moment) */
static void status_sane(int pid, const struct status *s, const char *buf)
{
	if (!s->ok || s->pid != pid)
		violation("status of %d malformed: %.200s", pid, buf);
	else if (!s->running && s->vm)	/* Linux: a zombie has no mm */
		violation("status of exited %d has Vm lines: %.300s", pid, buf);
	else if (s->vm && (s->rss != s->anon + s->file || s->rss > s->size ||
			   s->rss < 0 || s->maps < 0 || s->size % 4))
		violation("status of %d inconsistent: %.300s", pid, buf);
}

/* ---- model workers ---- */

struct own {
	int pid;
	bool zombie;
	unsigned short map_id[NPAGES];	/* 0: unmapped */
	unsigned char file[NPAGES], resident[NPAGES], prot[NPAGES];
	unsigned short next_id;
};

struct worker {
	int idx, fd;
	__u64 rng;
	struct own own[MAX_OWN];
	int nown;
};

static int model_nr_maps(const struct own *o)
{
	int n = 0, i;

	for (i = 0; i < NPAGES; i++)
		n += o->map_id[i] && (!i || o->map_id[i] != o->map_id[i - 1]);
	return n;
}

static void model_verify(struct worker *w, struct own *o, const char *after)
{
	long size = 0, anon = 0, file = 0;
	char buf[4096], path[64], expect[4096] = "";
	struct status s;
	int ret, i, len = 0;

	ret = status_get(o->pid, &s, buf, sizeof(buf));
	if (ret) {
		violation("worker %d: status of own %d after %s: %s", w->idx, o->pid,
			  after, strerror(-ret));
		return;
	}
	status_sane(o->pid, &s, buf);
	if (o->zombie) {
		if (s.running || s.vm)
			violation("worker %d: exited %d shows %.200s", w->idx, o->pid, buf);
		return;
	}
	for (i = 0; i < NPAGES; i++) {
		size += !!o->map_id[i];
		if (o->resident[i])
			*(o->file[i] ? &file : &anon) += 1;
	}
	if (!s.running || s.size != size * 4 || s.anon != anon * 4 ||
	    s.file != file * 4 || s.maps != model_nr_maps(o))
		violation("w%d: %d after %s: want size %ld anon %ld file %ld maps %d, got %.300s",
			  w->idx, o->pid, after, size * 4, anon * 4, file * 4,
			  model_nr_maps(o), buf);

	/* maps: one line per run of one id, in address order */
	for (i = 0; i < NPAGES; i++) {
		int j = i;

		if (!o->map_id[i] || (i && o->map_id[i] == o->map_id[i - 1]))
			continue;
		while (j + 1 < NPAGES && o->map_id[j + 1] == o->map_id[i])
			j++;
		len += snprintf(expect + len, sizeof(expect) - len,
				"%08llx-%08llx %c%c%cp 00000000 00:00 0%s\n",
				BASE + i * PG, BASE + (j + 1) * PG,
				o->prot[i] & 1 ? 'r' : '-', o->prot[i] & 2 ? 'w' : '-',
				o->prot[i] & 4 ? 'x' : '-',
				o->file[i] ? "    [vmar_race:file]" : "");
	}
	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/maps", o->pid);
	ret = vr_read_file(path, buf, sizeof(buf));
	if (ret < 0 || strcmp(buf, expect))
		violation("worker %d: maps of %d after %s:\n%s---- want:\n%s", w->idx,
			  o->pid, after, ret < 0 ? strerror(-ret) : buf, expect);
}

static struct own *own_pick(struct worker *w)
{
	return w->nown ? &w->own[pick(&w->rng, w->nown)] : NULL;
}

static void own_forget(struct worker *w, struct own *o)
{
	*o = w->own[--w->nown];
}

static void op_spawn(struct worker *w)
{
	char name[16];
	int ret;

	snprintf(name, sizeof(name), "fz%d-%u", w->idx, pick(&w->rng, 1000));
	ret = vr_ctl_spawn(w->fd, name);
	if (ret > 0) {
		struct own *o = &w->own[w->nown++];

		memset(o, 0, sizeof(*o));
		o->pid = ret;
		model_verify(w, o, "spawn");
		return;
	}
	if (ret == -ENOMEM)
		n_enomem++;
	if (faults)
		EXPECT_IN(ret, "SPAWN", -EAGAIN, -ENOMEM);
	else
		EXPECT_IN(ret, "SPAWN", -EAGAIN);
}

/* A random range around the window: mostly inside, sometimes crossing out. */
static void pick_range(struct worker *w, int *first, int *n)
{
	*first = pick(&w->rng, NPAGES);
	*n = 1 + pick(&w->rng, pick(&w->rng, 4) ? 4 : NPAGES);
	if (*first + *n > NPAGES && pick(&w->rng, 2))
		*n = NPAGES - *first;
}

static void op_map(struct worker *w, struct own *o)
{
	int first, n, i, want = 0, ret;
	unsigned int flags = pick(&w->rng, VMAR_RACE_MAP_FLAGS + 1);

	pick_range(w, &first, &n);
	if (first + n > NPAGES)		/* the model covers the window only */
		n = NPAGES - first;
	if (o->zombie)
		want = -EINVAL;
	else
		for (i = first; i < first + n; i++)
			if (o->map_id[i])
				want = -EEXIST;
	if (!want && model_nr_maps(o) >= MAX_MAPS)
		want = -ENOMEM;
	ret = vr_map_op(w->fd, VMAR_RACE_IOC_MAP, o->pid, flags, BASE + first * PG,
			(unsigned long long)n * PG);
	if (ret == -ENOMEM && faults && want != -EINVAL) {
		n_enomem++;
		return;
	}
	if (ret != want) {
		violation("worker %d: MAP %d [%d,+%d) flags %#x: got %d want %d",
			  w->idx, o->pid, first, n, flags, ret, want);
		return;
	}
	if (ret)
		return;
	o->next_id++;
	for (i = first; i < first + n; i++) {
		o->map_id[i] = o->next_id;
		o->file[i] = !!(flags & VMAR_RACE_MAP_FILE);
		o->prot[i] = flags & 7;
		o->resident[i] = 0;
	}
	model_verify(w, o, "map");
}

static void op_unmap(struct worker *w, struct own *o)
{
	int first, n, i, want = 0, ret, split;

	pick_range(w, &first, &n);
	/* Only a hole punched into one mapping allocates (a split). */
	split = first > 0 && first + n < NPAGES && o->map_id[first] &&
		o->map_id[first - 1] == o->map_id[first] &&
		o->map_id[first + n] == o->map_id[first];
	if (o->zombie)
		want = -EINVAL;
	else if (split && model_nr_maps(o) >= MAX_MAPS)
		want = -ENOMEM;		/* the split would pass max_maps */
	ret = vr_map_op(w->fd, VMAR_RACE_IOC_UNMAP, o->pid, 0, BASE + first * PG,
			(unsigned long long)n * PG);
	if (ret == -ENOMEM && faults && split && want != -EINVAL) {
		n_enomem++;
		return;
	}
	if (ret != want) {
		violation("worker %d: UNMAP %d [%d,+%d): got %d want %d", w->idx,
			  o->pid, first, n, ret, want);
		return;
	}
	if (ret)
		return;
	for (i = first; i < first + n && i < NPAGES; i++) {
		o->map_id[i] = 0;
		o->resident[i] = 0;
		o->file[i] = 0;
		o->prot[i] = 0;
	}
	/* The part right of a punched hole is a mapping of its own. */
	if (first + n < NPAGES && first > 0 && o->map_id[first + n] &&
	    o->map_id[first + n] == o->map_id[first - 1]) {
		unsigned short old = o->map_id[first + n];

		o->next_id++;
		for (i = first + n; i < NPAGES && o->map_id[i] == old; i++)
			o->map_id[i] = o->next_id;
	}
	model_verify(w, o, "unmap");
}

static void op_touch(struct worker *w, struct own *o)
{
	int first, n, i, want = 0, ret;

	pick_range(w, &first, &n);
	if (o->zombie)
		want = -EINVAL;
	else
		for (i = first; i < first + n; i++)
			if (i >= NPAGES || !o->map_id[i])
				want = -ENOMEM;
	ret = vr_map_op(w->fd, VMAR_RACE_IOC_TOUCH, o->pid, 0, BASE + first * PG,
			(unsigned long long)n * PG);
	if (ret == -ENOMEM && faults && !want) {
		/* Pages are faulted in address order: learn how far it got. */
		char buf[1024];
		struct status s;
		long had = 0, got;

		n_enomem++;
		for (i = 0; i < NPAGES; i++)
			had += o->resident[i];
		if (status_get(o->pid, &s, buf, sizeof(buf)))
			return;
		got = s.rss / 4 - had;
		for (i = first; i < first + n && got > 0; i++)
			if (!o->resident[i]) {
				o->resident[i] = 1;
				got--;
			}
		model_verify(w, o, "failed touch");
		return;
	}
	if (ret != want) {
		violation("worker %d: TOUCH %d [%d,+%d): got %d want %d", w->idx,
			  o->pid, first, n, ret, want);
		return;
	}
	if (ret)
		return;
	for (i = first; i < first + n; i++)
		o->resident[i] = 1;
	model_verify(w, o, "touch");
}

static void op_exit(struct worker *w, struct own *o)
{
	int ret = vr_pid_op(w->fd, VMAR_RACE_IOC_EXIT, o->pid);
	int want = o->zombie ? -EINVAL : 0;

	if (ret != want) {
		violation("worker %d: EXIT %d: got %d want %d", w->idx, o->pid, ret, want);
		return;
	}
	o->zombie = true;
	model_verify(w, o, "exit");
}

static void op_reap(struct worker *w, struct own *o)
{
	int ret = vr_pid_op(w->fd, VMAR_RACE_IOC_REAP, o->pid);
	int want = o->zombie ? 0 : -EINVAL;

	if (ret != want) {
		violation("worker %d: REAP %d: got %d want %d", w->idx, o->pid, ret, want);
		return;
	}
	if (!ret)
		own_forget(w, o);	/* the pid may now be reused by anyone */
}

static void worker_step(struct worker *w)
{
	struct own *o = own_pick(w);
	unsigned int r = pick(&w->rng, 100);

	n_ops++;
	if (!o || (r < 8 && w->nown < MAX_OWN))
		op_spawn(w);
	else if (r < 38)
		op_map(w, o);
	else if (r < 58)
		op_unmap(w, o);
	else if (r < 85)
		op_touch(w, o);
	else if (r < 93)
		op_exit(w, o);
	else
		op_reap(w, o);
}

/* End of run: close the file (exits the running ones), reap the zombies. */
static void worker_finish(struct worker *w)
{
	int fd = ctl_open();

	close(w->fd);
	while (w->nown) {
		struct own *o = &w->own[0];
		int ret = vr_pid_op(fd, VMAR_RACE_IOC_REAP, o->pid);

		if (ret)
			violation("worker %d: reap of %d after close: %s", w->idx,
				  o->pid, strerror(-ret));
		own_forget(w, o);
	}
	close(fd);
}

/* ---- chaos ---- */

static int any_pid(__u64 *rng)
{
	static const int odd[] = { 0, -1, -2147483647 - 1, 2147483647, 4194304 };
	DIR *d;
	struct dirent *e;
	int pids[64], n = 0;

	if (pick(rng, 5) == 0)
		return odd[pick(rng, 5)];
	d = opendir(VMAR_RACE_PROC_ROOT);
	if (!d)
		return 1;
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			pids[n++] = atoi(e->d_name);
	closedir(d);
	return n ? pids[pick(rng, n)] : 1 + (int)pick(rng, 100);
}

/* The chaos thread's own pprocs: its ioctls may succeed only on these. */
struct pool { int fd, n, pid[4]; bool zombie[4]; };

static int pool_pid(struct pool *p, __u64 *rng)
{
	static const int odd[] = { 0, -1, -2147483647 - 1, 2147483647, 4194304 };

	if (!p->n || !pick(rng, 4))
		return odd[pick(rng, 5)];
	return p->pid[pick(rng, p->n)];
}

static void pool_drop(struct pool *p, int i)
{
	p->n--;
	p->pid[i] = p->pid[p->n];
	p->zombie[i] = p->zombie[p->n];
}

/* Spawn, exit or reap one of the pool's pprocs. */
static void chaos_pool(struct pool *p, __u64 *rng)
{
	int i = p->n ? pick(rng, p->n) : 0, ret;

	if (p->n < 4 && pick(rng, 2)) {
		ret = vr_ctl_spawn(p->fd, "fzchaos");
		if (ret > 0) {
			p->pid[p->n] = ret;
			p->zombie[p->n++] = false;
		} else if (faults) {
			EXPECT_IN(ret, "chaos SPAWN", -ENOMEM, -EAGAIN);
		} else {
			EXPECT_IN(ret, "chaos SPAWN", -EAGAIN);
		}
	} else if (p->n && !p->zombie[i]) {
		ret = vr_pid_op(p->fd, VMAR_RACE_IOC_EXIT, p->pid[i]);
		EXPECT_IN(ret, "chaos EXIT", 0);
		p->zombie[i] = true;
	} else if (p->n) {
		ret = vr_pid_op(p->fd, VMAR_RACE_IOC_REAP, p->pid[i]);
		EXPECT_IN(ret, "chaos REAP", 0);
		pool_drop(p, i);
	}
}

/* End: closing the file exits the running ones; reap them all. */
static void pool_finish(struct pool *p)
{
	int fd = ctl_open();

	close(p->fd);
	while (p->n) {
		int ret = vr_pid_op(fd, VMAR_RACE_IOC_REAP, p->pid[0]);

		if (ret)
			violation("chaos: reap of %d after close: %s", p->pid[0], strerror(-ret));
		pool_drop(p, 0);
	}
	close(fd);
}

static void *ro_page;	/* a read-only page: copy_from_user works, put_user fails */

/* EXIT and REAP of one zombie at once: EXIT -EINVAL or -ESRCH, REAP 0. */
struct exit_reap { int fd, pid, cmd, ret; pthread_barrier_t *go; };

static void *exit_reap_fn(void *arg)
{
	struct exit_reap *e = arg;

	pthread_barrier_wait(e->go);
	e->ret = vr_pid_op(e->fd, e->cmd, e->pid);
	return NULL;
}

static void chaos_exit_reap(int fd)
{
	struct exit_reap e[2] = {
		{ fd, 0, VMAR_RACE_IOC_EXIT, 0, NULL },
		{ fd, 0, VMAR_RACE_IOC_REAP, 0, NULL },
	};
	pthread_barrier_t go;
	pthread_t th[2];
	int pid = vr_ctl_spawn(fd, "fzexrp"), i;

	if (pid <= 0) {
		if (faults)
			EXPECT_IN(pid, "SPAWN for EXIT/REAP", -EAGAIN, -ENOMEM);
		else
			EXPECT_IN(pid, "SPAWN for EXIT/REAP", -EAGAIN);
		return;
	}
	EXPECT_IN(vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pid), "EXIT before EXIT/REAP", 0);
	pthread_barrier_init(&go, NULL, 2);
	for (i = 0; i < 2; i++) {
		e[i].pid = pid;
		e[i].go = &go;
		if (pthread_create(&th[i], NULL, exit_reap_fn, &e[i])) {
			violation("pthread_create: %s", strerror(errno));
			exit(1);
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	EXPECT_IN(e[0].ret, "EXIT of a zombie being reaped", -EINVAL, -ESRCH);
	EXPECT_IN(e[1].ret, "REAP of a zombie being exited again", 0);
}

/* pread() of one byte far past the end: EOF, never minutes of rendering. */
static void chaos_pread_far(struct pool *p, __u64 *rng)
{
	static const char * const files[] = { "maps", "status" };
	char path[64], c;
	off_t off = (off_t)(rnd(rng) >> (1 + pick(rng, 40)));
	int pid = pool_pid(p, rng), fd;
	ssize_t n;

	snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/%s", pid, files[pick(rng, 2)]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;		/* reaped meanwhile */
	n = pread(fd, &c, 1, off);
	if (n < 0 && errno != ESRCH && !(faults && errno == ENOMEM))
		violation("pread(%s, 1, %lld): %s", path, (long long)off, strerror(errno));
	close(fd);
}

static void chaos_garbage(struct pool *p, __u64 *rng)
{
	int fd = p->fd;
	struct vmar_race_spawn sp;
	struct vmar_race_map m;
	unsigned long bad = pick(rng, 2) ? 0 : 1 + pick(rng, 4095);
	static const unsigned long cmds[] = {
		VMAR_RACE_IOC_SPAWN, VMAR_RACE_IOC_MAP, VMAR_RACE_IOC_UNMAP,
		VMAR_RACE_IOC_TOUCH, VMAR_RACE_IOC_EXIT, VMAR_RACE_IOC_REAP,
	};
	int ret, i;

	switch (pick(rng, 10)) {
	case 8:
		chaos_exit_reap(fd);
		break;
	case 9:
		chaos_pread_far(p, rng);
		break;
	case 0:		/* bad pointer to any command */
		ret = vr_ioctl(fd, cmds[pick(rng, 6)], (void *)bad);
		EXPECT_IN(ret, "ioctl with a bad pointer", -EFAULT);
		break;
	case 1:		/* unknown commands */
		ret = vr_ioctl(fd, pick(rng, 2) ? _IO(VMAR_RACE_IOC_MAGIC, 7 + pick(rng, 200)) :
			       _IOW(VMAR_RACE_IOC_MAGIC, 1, __u64), &m);
		EXPECT_IN(ret, "unknown ioctl", -ENOTTY);
		break;
	case 2:		/* names: unterminated, unprintable; or flags */
		memset(&sp, 0, sizeof(sp));
		for (i = 0; i < VMAR_RACE_NAME_LEN; i++)
			sp.name[i] = (char)('a' + pick(rng, 26));
		switch (pick(rng, 3)) {
		case 0:		/* no NUL: too long */
			break;
		case 1:
			sp.name[VMAR_RACE_NAME_LEN - 1] = '\0';
			sp.flags = 1u << pick(rng, 32);
			break;
		default:
			sp.name[VMAR_RACE_NAME_LEN - 1] = '\0';
			sp.name[pick(rng, VMAR_RACE_NAME_LEN - 1)] =
				"\n\x7f\x01\x80\xff\t"[pick(rng, 6)];
			break;
		}
		ret = vr_ioctl(fd, VMAR_RACE_IOC_SPAWN, &sp);
		EXPECT_IN(ret, "SPAWN with a bad name or flags", -EINVAL);
		break;
	case 3:		/* spawn whose pid cannot be written back: undone */
		ret = vr_ioctl(fd, VMAR_RACE_IOC_SPAWN, ro_page);
		if (faults)
			EXPECT_IN(ret, "SPAWN into a read-only struct", -EFAULT, -EAGAIN, -ENOMEM);
		else
			EXPECT_IN(ret, "SPAWN into a read-only struct", -EFAULT, -EAGAIN);
		break;
	case 4:		/* boundary ranges */
		m.pid = pool_pid(p, rng);
		m.flags = pick(rng, 4) ? pick(rng, 16) : (__u32)rnd(rng);
		m.start = pick(rng, 2) ? rnd(rng) : (rnd(rng) & ~(PG - 1));
		switch (pick(rng, 4)) {
		case 0:		/* up to the top of the address space, or past it */
			m.len = -(m.start) + (pick(rng, 2) ? PG : 0);
			break;
		case 1:		/* huge: 2^30 to 2^63 bytes, past max_pages */
			m.len = 1ull << (30 + pick(rng, 34));
			break;
		default:
			m.len = pick(rng, 64) * PG;
			break;
		}
		ret = vr_ioctl(fd, cmds[1 + pick(rng, 3)], &m);
		EXPECT_IN(ret, "MAP/UNMAP/TOUCH with boundary arguments", 0, -EINVAL,
			  -ESRCH, -EEXIST, -ENOMEM);
		break;
	case 5:
		chaos_pool(p, rng);
		break;
	case 6:		/* EXIT or REAP of a pid that cannot exist */
		ret = vr_pid_op(fd, pick(rng, 2) ? VMAR_RACE_IOC_EXIT : VMAR_RACE_IOC_REAP,
				-(int)pick(rng, 3));
		EXPECT_IN(ret, "EXIT/REAP of a pid <= 0", -ESRCH);
		break;
	default:	/* a pid nobody has: beyond pid_max */
		ret = vr_map_op(fd, VMAR_RACE_IOC_TOUCH, 4194304 + pick(rng, 1000), 0, 0, PG);
		EXPECT_IN(ret, "TOUCH of pid beyond pid_max", -ESRCH);
		break;
	}
}

/* Write a parameter; check the result and what reads back. */
static char cur_mode[16] = "fixed", cur_delay[16] = "0";

static void param_check(const char *name, const char *want)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), VMAR_RACE_PARAMS "/%s", name);
	if (vr_read_file(path, buf, sizeof(buf)) <= 0 || strncmp(buf, want, strlen(want)) ||
	    buf[strlen(want)] != '\n')
		violation("parameter %s reads '%s', want '%s'", name, buf, want);
}

static void chaos_param(__u64 *rng)
{
	static const char * const modes[] = { "checked", "fixed", "rcu" };
	static const char * const bad_modes[] = { "fixedd", "FIXED", "buggy ", "rcu\n\n", "0" };
	static const char * const bad_delay[] = { "-1", "1000001", "abc", "0x", "99999999999" };
	static const char * const bad_maps[] = { "0", "16777217", "-1", "abc", "9999999999" };
	char val[16];
	int ret;

	n_params++;
	switch (pick(rng, 4)) {
	case 0:
		snprintf(cur_mode, sizeof(cur_mode), "%s", modes[pick(rng, 3)]);
		ret = vr_param_write("mode", cur_mode);
		EXPECT_IN(ret, "mode write", 0);
		break;
	case 1:
		ret = vr_param_write("mode", bad_modes[pick(rng, 5)]);
		EXPECT_IN(ret, "invalid mode write", -EINVAL);
		break;
	case 2:
		snprintf(val, sizeof(val), "%u", pick(rng, 30));
		ret = vr_param_write("race_delay_us", val);
		EXPECT_IN(ret, "race_delay_us write", 0);
		if (!ret)
			snprintf(cur_delay, sizeof(cur_delay), "%s", val);
		break;
	default:
		ret = pick(rng, 2) ? vr_param_write("race_delay_us", bad_delay[pick(rng, 5)]) :
				     vr_param_write("max_maps", bad_maps[pick(rng, 5)]);
		EXPECT_IN(ret, "invalid number write", -EINVAL);
		break;
	}
	param_check("mode", cur_mode);
	param_check("race_delay_us", cur_delay);
	param_check("max_maps", "12");
}

/*
 * A child spawns pprocs, maps and touches, reports the pids, then dies one
 * of three ways; afterwards each of its pprocs must be a zombie.
 */
static void chaos_fork(__u64 *rng)
{
	int pfd[2], pids[4] = { 0 }, n, i, how = pick(rng, 3);
	unsigned int nspawn = 1 + pick(rng, 3);
	char buf[1024];
	pid_t child;

	if (pipe(pfd))
		return;
	n_forks++;
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (!child) {
		int fd = open(VMAR_RACE_DEVICE, O_RDWR);

		close(pfd[0]);
		for (i = 0; fd >= 0 && i < (int)nspawn; i++) {
			pids[i] = vr_ctl_spawn(fd, "fzchild");
			if (pids[i] > 0) {
				vr_map_op(fd, VMAR_RACE_IOC_MAP, pids[i], 3, BASE, 4 * PG);
				vr_map_op(fd, VMAR_RACE_IOC_TOUCH, pids[i], 0, BASE, 2 * PG);
			}
		}
		if (write(pfd[1], pids, sizeof(pids)) != sizeof(pids))
			_exit(3);
		if (how == 1)
			close(fd);
		if (how == 2)
			pause();	/* killed */
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], pids, sizeof(pids));
	close(pfd[0]);
	for (i = 0; n == sizeof(pids) && i < 4; i++)
		if (pids[i] > 0) {
			struct status s;

			if (!status_get(pids[i], &s, buf, sizeof(buf)))
				status_sane(pids[i], &s, buf);
		}
	if (n == sizeof(pids) && pids[0] > 0 && pick(rng, 2)) {
		/* EXIT races the child's own exit: one of them wins. */
		int fd = ctl_open();

		EXPECT_IN(vr_pid_op(fd, VMAR_RACE_IOC_EXIT, pids[0]), "EXIT of a child's pproc",
			  0, -EINVAL);
		close(fd);
	}
	if (how == 2)
		kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	for (i = 0; n == sizeof(pids) && i < 4; i++) {
		struct status s;
		int ret, fd;

		if (pids[i] <= 0)
			continue;
		ret = status_get(pids[i], &s, buf, sizeof(buf));
		if (ret || s.running || s.vm)
			violation("child pproc %d after the child's death: %s", pids[i],
				  ret ? strerror(-ret) : buf);
		fd = ctl_open();
		ret = vr_pid_op(fd, VMAR_RACE_IOC_REAP, pids[i]);
		close(fd);
		if (ret)
			violation("reap of dead child's pproc %d: %s", pids[i], strerror(-ret));
	}
}

/* ---- readers ---- */

static void read_one(__u64 *rng, bool tolerate_unload)
{
	int pid = any_pid(rng), ret;
	char path[64], buf[8192];
	struct status s;

	n_reads++;
	if (pick(rng, 2)) {
		ret = status_get(pid, &s, buf, sizeof(buf));
		if (!ret)
			status_sane(pid, &s, buf);
	} else {
		snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/maps", pid);
		ret = vr_read_file(path, buf, sizeof(buf));
		if (ret > 0 && !strstr(buf, "p 00000000 00:00 0"))
			violation("maps of %d malformed: %.200s", pid, buf);
	}
	if (ret < 0 && ret != -ENOENT && ret != -ESRCH && !tolerate_unload)
		violation("read of pid %d: %s", pid, strerror(-ret));
}

/* Readers-only mode: hold files open across the module's unload. */
static void reader_hold(__u64 *rng)
{
	char path[64], buf[4096];
	int fds[8], i;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), VMAR_RACE_PROC_ROOT "/%d/%s", any_pid(rng),
			 pick(rng, 2) ? "status" : "maps");
		fds[i] = open(path, O_RDONLY);
	}
	for (i = 0; i < 64; i++) {
		int fd = fds[pick(rng, 8)];

		if (fd >= 0 && pread(fd, buf, sizeof(buf), 0) < 0 &&
		    errno != ESRCH && errno != ENOENT)
			violation("pread of a held file: %s", strerror(errno));
		n_reads++;
	}
	for (i = 0; i < 8; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- threads and epochs ---- */

struct thread { pthread_t tid; int kind, idx; __u64 rng; struct worker w; };

enum { T_WORKER, T_CHAOS, T_READER };

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct pool pool = { .fd = -1 };

	if (t->kind == T_WORKER) {
		t->w.idx = t->idx;
		t->w.rng = t->rng;
		t->w.fd = ctl_open();
	} else if (t->kind == T_CHAOS) {
		pool.fd = ctl_open();
	}
	for (;;) {
		pthread_barrier_wait(&epoch_start);
		if (stop)
			break;
		for (double end = vr_now() + 1; vr_now() < end;) {
			if (t->kind == T_WORKER && t->w.fd >= 0) {
				worker_step(&t->w);
			} else if (t->kind == T_CHAOS) {
				unsigned int r = pick(&t->rng, 100);

				n_ops++;
				if (r < 70)
					chaos_garbage(&pool, &t->rng);
				else if (r < 90)
					chaos_param(&t->rng);
				else
					chaos_fork(&t->rng);
			} else if (t->kind == T_READER) {
				read_one(&t->rng, false);
			}
		}
		pthread_barrier_wait(&epoch_end);
	}
	if (t->kind == T_WORKER && t->w.fd >= 0)
		worker_finish(&t->w);
	if (t->kind == T_CHAOS)
		pool_finish(&pool);
	return NULL;
}

/* ---- pid guessing (-G) ---- */

#define GUESS_SPAWNERS	2
#define GUESS_GUESSERS	2
#define GUESS_THREADS	(GUESS_SPAWNERS + GUESS_GUESSERS + 1)	/* + a reader */
#define GUESS_WINDOW	4	/* guess last + 1 .. last + GUESS_WINDOW */
#define GUESS_MODEL_SECS 10	/* -G: the model threads run this long first */
#define GUESS_RING	256	/* pids a spawner keeps before sweeping them */
#define GUESS_PID_MAX	4194304	/* the module's VR_PID_MAX */

enum { G_SPAWNER, G_GUESSER, G_READER };

struct gthread {
	pthread_t tid;
	int kind, fd, next;
	__u64 rng;
	int ring[GUESS_RING];	/* the spawner's latest pids; 0: empty */
};

static atomic_int guess_last;	/* the latest pid a spawner got */
static int *guess_foreign, guess_nforeign;	/* sorted; never guessed */

/* Is pid a later than b in the cyclic allocation order? */
static bool pid_after(int a, int b)
{
	return a > b ? a - b < GUESS_PID_MAX / 2 : b - a > GUESS_PID_MAX / 2;
}

/* Spawners may return out of order: the published pid only moves on. */
static void guess_publish(int pid)
{
	int cur = atomic_load_explicit(&guess_last, memory_order_relaxed);

	while (pid_after(pid, cur) &&
	       !atomic_compare_exchange_weak(&guess_last, &cur, pid))
		;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The pprocs that exist before the phase are not ours: remember them. */
static void guess_foreign_scan(void)
{
	DIR *d = opendir(VMAR_RACE_PROC_ROOT);
	struct dirent *e;
	int cap = 0;

	guess_nforeign = 0;
	if (!d) {
		violation("guess: cannot list %s: %s", VMAR_RACE_PROC_ROOT, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (guess_nforeign == cap) {
			cap = cap ? 2 * cap : 64;
			guess_foreign = realloc(guess_foreign, cap * sizeof(*guess_foreign));
			if (!guess_foreign) {
				fprintf(stderr, "fuzz: out of memory\n");
				exit(2);
			}
		}
		guess_foreign[guess_nforeign++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(guess_foreign, guess_nforeign, sizeof(*guess_foreign), cmp_int);
}

static bool guess_foreign_has(int pid)
{
	return guess_nforeign &&
	       bsearch(&pid, guess_foreign, guess_nforeign, sizeof(pid), cmp_int);
}

/* EXIT or REAP of a pid that may be anything: 0, -ESRCH or -EINVAL. */
static int guess_pid_op(int fd, unsigned long cmd, int pid, const char *who)
{
	int ret = vr_pid_op(fd, cmd, pid);

	if (ret && ret != -ESRCH && ret != -EINVAL)
		violation("guess: %s %s of %d returned %d (%s)", who,
			  cmd == VMAR_RACE_IOC_EXIT ? "EXIT" : "REAP", pid, ret,
			  strerror(-ret));
	return ret;
}

/* A pid of ours the guessers may have missed: exit and reap it. */
static void guess_sweep(int fd, int pid)
{
	if (guess_pid_op(fd, VMAR_RACE_IOC_EXIT, pid, "sweep") != -ESRCH &&
	    !guess_pid_op(fd, VMAR_RACE_IOC_REAP, pid, "sweep"))
		n_gswept++;
}

/* One spawn; the ring's slot is swept first, so the pprocs stay few. */
static void guess_spawn(struct gthread *g)
{
	int *slot = &g->ring[g->next];
	int pid, i;

	if (*slot) {
		guess_sweep(g->fd, *slot);
		*slot = 0;
	}
	pid = vr_ctl_spawn(g->fd, "fzguess");
	if (pid > 0) {
		guess_publish(pid);
		*slot = pid;
		g->next = (g->next + 1) % GUESS_RING;
		n_gspawns++;
		return;
	}
	if (pid == -ENOMEM && faults) {
		n_enomem++;
		return;
	}
	if (pid != -EAGAIN) {
		violation("guess: SPAWN returned %d (%s)", pid, strerror(-pid));
		return;
	}
	/* max_procs reached: give back everything this spawner holds. */
	for (i = 0; i < GUESS_RING; i++) {
		if (g->ring[i])
			guess_sweep(g->fd, g->ring[i]);
		g->ring[i] = 0;
	}
}

/* EXIT and REAP the pids right after the latest one, as soon as they exist. */
static void guess_exit_reap(struct gthread *g)
{
	int last = atomic_load(&guess_last), k, pid, ret;

	for (k = 1; k <= GUESS_WINDOW; k++) {
		pid = last + k;
		if (guess_foreign_has(pid))
			continue;
		ret = guess_pid_op(g->fd, VMAR_RACE_IOC_EXIT, pid, "predicted");
		if (!ret) {
			n_gexits++;
			/* Its spawner had not published it yet. */
			if (pid_after(pid, atomic_load(&guess_last)))
				n_gearly++;
		}
		if (ret != -ESRCH &&
		    !guess_pid_op(g->fd, VMAR_RACE_IOC_REAP, pid, "predicted"))
			n_greaps++;
	}
}

static void *guess_main(void *arg)
{
	struct gthread *g = arg;

	for (;;) {
		pthread_barrier_wait(&epoch_start);
		if (stop)
			break;
		for (double end = vr_now() + 1; vr_now() < end;) {
			if (g->kind == G_READER)
				read_one(&g->rng, false);
			else if (g->fd < 0)
				usleep(1000);	/* open failed: reported */
			else if (g->kind == G_SPAWNER)
				guess_spawn(g);
			else
				guess_exit_reap(g);
		}
		pthread_barrier_wait(&epoch_end);
	}
	return NULL;
}

/*
 * End of the phase: closing the spawners' files exits their running
 * pprocs; then every pid a spawner still holds is a zombie or gone.
 */
static void guess_finish(struct gthread *g)
{
	int fd, i, j, ret;

	for (i = 0; i < GUESS_THREADS; i++)
		if (g[i].fd >= 0)
			close(g[i].fd);
	fd = ctl_open();
	for (i = 0; i < GUESS_THREADS; i++) {
		for (j = 0; g[i].kind == G_SPAWNER && j < GUESS_RING; j++) {
			if (!g[i].ring[j])
				continue;
			ret = vr_pid_op(fd, VMAR_RACE_IOC_REAP, g[i].ring[j]);
			if (!ret)
				n_gleft++;
			else if (ret != -ESRCH)	/* -ESRCH: a guesser got it */
				violation("guess: reap of %d after close: %s",
					  g[i].ring[j], strerror(-ret));
		}
	}
	if (fd >= 0)
		close(fd);
}

static void print_guess_counts(void)
{
	printf("guess: %ld spawns, %ld predicted exits, %ld predicted reaps, ",
	       (long)n_gspawns, (long)n_gexits, (long)n_greaps);
	printf("%ld early exits, %ld swept, %ld reaped at the end\n",
	       (long)n_gearly, (long)n_gswept, (long)n_gleft);
}

/*
 * The guessing phase, until deadline; the model threads are gone. Epochs
 * of a second as in the model phase, with the invariants checked between.
 */
static void guess_run(double start, double deadline, double *last)
{
	struct gthread *g = calloc(GUESS_THREADS, sizeof(*g));
	int i;

	if (!g) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(2);
	}
	guess_foreign_scan();
	atomic_store(&guess_last, 0);
	stop = 0;
	pthread_barrier_destroy(&epoch_start);
	pthread_barrier_destroy(&epoch_end);
	pthread_barrier_init(&epoch_start, NULL, GUESS_THREADS + 1);
	pthread_barrier_init(&epoch_end, NULL, GUESS_THREADS + 1);
	for (i = 0; i < GUESS_THREADS; i++) {
		g[i].kind = i < GUESS_SPAWNERS ? G_SPAWNER :
			    i < GUESS_SPAWNERS + GUESS_GUESSERS ? G_GUESSER : G_READER;
		g[i].fd = g[i].kind == G_READER ? -1 : ctl_open();
		g[i].rng = seed * 0x9e3779b97f4a7c15ull + MAX_THREADS + i + 1;
		if (pthread_create(&g[i].tid, NULL, guess_main, &g[i])) {
			fprintf(stderr, "fuzz: pthread_create failed\n");
			exit(2);
		}
	}
	for (int epoch = 1; ; epoch++) {
		char when[32];

		pthread_barrier_wait(&epoch_start);
		pthread_barrier_wait(&epoch_end);
		snprintf(when, sizeof(when), "guess epoch %d", epoch);
		check_invariants(when);
		if (vr_now() - *last >= 10) {
			*last = vr_now();
			printf("fuzz: %.0fs ", *last - start);
			print_guess_counts();
		}
		if (vr_now() >= deadline)
			break;
	}
	stop = 1;
	pthread_barrier_wait(&epoch_start);
	for (i = 0; i < GUESS_THREADS; i++)
		pthread_join(g[i].tid, NULL);
	guess_finish(g);
	free(g);
	free(guess_foreign);
	guess_foreign = NULL;
	guess_nforeign = 0;
}

static void on_term(int sig)
{
	stop = 1;
}

static void print_usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-d SECONDS] [-t WORKERS] [-F] [-G | -R] [-v]\n"
		"  -s SEED     xorshift seed (default: from the clock; printed)\n"
		"  -d SECONDS  how long (default 10)\n"
		"  -t WORKERS  model workers, 1-%d (default 2); plus a chaos and a reader thread\n"
		"  -F          failslab is on for the module's caches: ENOMEM is allowed\n"
		"  -G          pid guessing: the threads above for the first %d s of -d\n"
		"              (half if -d is shorter), then (never both at once: a guess\n"
		"              may hit any pid) %d spawners, %d guessers that EXIT and\n"
		"              REAP the next %d pids after the latest spawned, and a\n"
		"              reader for the rest\n"
		"  -R          readers only, holding files open; the module may go away\n"
		"              (SIGTERM ends the run with the summary line)\n",
		argv0, MAX_THREADS - 2, GUESS_MODEL_SECS, GUESS_SPAWNERS, GUESS_GUESSERS,
		GUESS_WINDOW);
	exit(2);
}

static void print_counts(void)
{
	printf("ops=%ld reads=%ld forks=%ld params=%ld enomem=%ld violations=%ld\n",
	       (long)n_ops, (long)n_reads, (long)n_forks, (long)n_params,
	       (long)n_enomem, (long)n_violations);
}

static void set_param(const char *name, const char *val)
{
	int ret = vr_param_write(name, val);

	if (ret) {
		fprintf(stderr, "fuzz: cannot set %s=%s: %s\n", name, val, strerror(-ret));
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct thread th[MAX_THREADS];
	char old_mode[16] = "", old_maps[16] = "", old_delay[16] = "";
	double start = vr_now(), last = start, model_end;
	int nthreads, opt, i;
	char *end;

	seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	while ((opt = getopt(argc, argv, "s:d:t:FGRvh")) != -1) {
		switch (opt) {
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || !seed)
				print_usage(argv[0]);
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration <= 0 || duration > 86400)
				print_usage(argv[0]);
			break;
		case 't':
			nworkers = strtol(optarg, &end, 10);
			if (*end || nworkers < 1 || nworkers > MAX_THREADS - 2)
				print_usage(argv[0]);
			break;
		case 'F':
			faults = 1;
			break;
		case 'G':
			guess = 1;
			break;
		case 'R':
			readers_only = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || (guess && readers_only))
		print_usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed=%llu duration=%gs workers=%d faults=%s%s%s\n", seed, duration,
	       nworkers, faults ? "on" : "off", readers_only ? " readers-only" : "",
	       guess ? " guess" : "");

	if (!readers_only)	/* -R: the module may go away; never pin it */
		vr_mount();
	if (readers_only) {
		__u64 rng = seed;

		signal(SIGTERM, on_term);
		while (!stop && vr_now() - start < duration) {
			reader_hold(&rng);
			read_one(&rng, true);
		}
		printf("fuzz: seed=%llu reads=%ld violations=%ld\n", seed, n_reads,
		       (long)n_violations);
		return n_violations ? 1 : 0;
	}

	ro_page = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED || vr_read_file(VMAR_RACE_PARAMS "/mode", old_mode,
						  sizeof(old_mode)) <= 0) {
		fprintf(stderr, "fuzz: module not loaded? (%s)\n", VMAR_RACE_PARAMS);
		return 2;
	}
	vr_read_file(VMAR_RACE_PARAMS "/max_maps", old_maps, sizeof(old_maps));
	vr_read_file(VMAR_RACE_PARAMS "/race_delay_us", old_delay, sizeof(old_delay));
	if (strcmp(old_mode, "fixed\n") && strcmp(old_mode, "checked\n") &&
	    strcmp(old_mode, "rcu\n")) {
		fprintf(stderr, "fuzz: mode is %.*s; the fuzzer runs the fixed modes only\n",
			(int)strcspn(old_mode, "\n"), old_mode);
		return 2;
	}
	snprintf(cur_mode, sizeof(cur_mode), "%.*s", (int)strcspn(old_mode, "\n"), old_mode);
	set_param("race_delay_us", "0");
	set_param("max_maps", "12");
	if (stats_read(&base)) {
		fprintf(stderr, "fuzz: cannot read %s (debugfs mounted?)\n", VMAR_RACE_STATS);
		return 2;
	}
	check_invariants("start");

	model_end = start + (!guess ? duration : duration / 2 < GUESS_MODEL_SECS ?
			     duration / 2 : GUESS_MODEL_SECS);
	nthreads = nworkers + 2;
	pthread_barrier_init(&epoch_start, NULL, nthreads + 1);
	pthread_barrier_init(&epoch_end, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		th[i].idx = i;
		th[i].kind = i < nworkers ? T_WORKER : i == nworkers ? T_CHAOS : T_READER;
		th[i].rng = seed * 0x9e3779b97f4a7c15ull + i + 1;
		memset(&th[i].w, 0, sizeof(th[i].w));
		pthread_create(&th[i].tid, NULL, thread_main, &th[i]);
	}
	for (int epoch = 1; ; epoch++) {
		char when[32];

		pthread_barrier_wait(&epoch_start);
		pthread_barrier_wait(&epoch_end);
		snprintf(when, sizeof(when), "epoch %d", epoch);
		check_invariants(when);
		if (vr_now() - last >= 10) {
			last = vr_now();
			printf("fuzz: %.0fs ", last - start);
			print_counts();
		}
		if (vr_now() >= model_end)
			break;
	}
	stop = 1;
	pthread_barrier_wait(&epoch_start);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i].tid, NULL);
	check_invariants(guess ? "model end" : "end");
	if (guess) {
		guess_run(start, start + duration, &last);
		check_invariants("end");
	}
	vr_param_write("mode", strtok(old_mode, "\n"));
	vr_param_write("max_maps", strtok(old_maps, "\n"));
	vr_param_write("race_delay_us", strtok(old_delay, "\n"));
	{
		struct stats st;

		if (!stats_read(&st) && (st.live != base.live || st.zombie != base.zombie))
			violation("end: live %ld zombie %ld, want %ld and %ld as at start",
				  st.live, st.zombie, base.live, base.zombie);
	}
	if (guess) {
		printf("fuzz: ");
		print_guess_counts();
	}
	printf("fuzz: seed=%llu seconds=%.0f ", seed, vr_now() - start);
	print_counts();
	return n_violations ? 1 : 0;
}
