// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for vmar_race: one behaviour per case, and forced
 * interleavings. A pause point stops a reader between finding a pproc and
 * using its VMAR; the case runs exit to completion and resumes the reader,
 * so each mode meets the race every single time.
 */
#include "vmar_race.h"

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/kasan.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <trace/events/error_report.h>

#define PG VMAR_RACE_PAGE_SIZE
#define RW (VMAR_RACE_PROT_READ | VMAR_RACE_PROT_WRITE)
#define INTERLEAVINGS 100

/* What a case holds; vr_test_exit() gives it all back. */
struct vr_test {
	struct vr_owner *owner;
	pid_t pids[8];
	int nr;
	struct vr_pproc *pps[8];
	int npp;
	struct vr_vmar *vmars[8];
	int nv;
};

static int vr_test_init(struct kunit *test)
{
	struct vr_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->owner = vr_owner_create();
	KUNIT_ASSERT_NOT_NULL(test, t->owner);
	test->priv = t;
	return 0;
}

/* Exit what still runs, reap everything the case spawned. */
static void vr_test_exit(struct kunit *test)
{
	struct vr_test *t = test->priv;
	int i;

	vr_pause_release_all();		/* what a failed case left armed */
	vr_owner_release(t->owner);
	for (i = 0; i < t->nv; i++)
		vr_vmar_put(t->vmars[i]);
	for (i = 0; i < t->npp; i++)
		vr_pproc_put(t->pps[i]);
	for (i = 0; i < t->nr; i++)
		vr_pproc_reap(t->pids[i]);
	rcu_barrier();
}

/* Spawn and publish, as the SPAWN ioctl does; the pid in *pid. */
static int kspawn(struct vr_owner *o, const char *name, pid_t *pid)
{
	struct vr_pproc *pp = vr_pproc_spawn(o, name);

	if (IS_ERR(pp))
		return PTR_ERR(pp);
	*pid = pp->pid;
	vr_pproc_publish(pp);
	return 0;
}

static struct vr_pproc *spawn(struct kunit *test, const char *name)
{
	struct vr_test *t = test->priv;
	struct vr_pproc *pp;
	pid_t pid;

	KUNIT_ASSERT_LT(test, t->nr, (int)ARRAY_SIZE(t->pids));
	KUNIT_ASSERT_EQ(test, kspawn(t->owner, name, &pid), 0);
	t->pids[t->nr++] = pid;
	pp = vr_pproc_find(pid);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	return pp;
}

/* A pproc whose reference is dropped at the case's end. */
static struct vr_pproc *spawn_auto(struct kunit *test, const char *name)
{
	struct vr_test *t = test->priv;
	struct vr_pproc *pp = spawn(test, name);

	KUNIT_ASSERT_LT(test, t->npp, (int)ARRAY_SIZE(t->pps));
	t->pps[t->npp++] = pp;
	return pp;
}

/* The running pproc's VMAR; the reference is dropped at the case's end. */
static struct vr_vmar *vmar_of(struct kunit *test, struct vr_pproc *pp)
{
	struct vr_test *t = test->priv;
	struct vr_vmar *v = vr_pproc_vmar_get(pp);

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_LT(test, t->nv, (int)ARRAY_SIZE(t->vmars));
	t->vmars[t->nv++] = v;
	return v;
}

static long stat(atomic_long_t *c)
{
	return atomic_long_read(c);
}

static long vmars_alive(void)
{
	rcu_barrier();		/* VMARs are freed after a grace period */
	return stat(&vr_stats.vmars_alive);
}

/* Render status into buf through @mode; returns the renderer's result. */
struct render {
	struct seq_file m;
	char buf[1024];
};

static int render(struct render *r, struct vr_pproc *pp, const char *mode)
{
	struct vr_read_ctx ctx = {
		.mode = vr_mode_find(mode),
		.unwrap_fail = VR_UNWRAP_QUIET,
		.file = VR_FILE_STATUS,
	};

	memset(r, 0, sizeof(*r));
	r->m.buf = r->buf;
	r->m.size = sizeof(r->buf) - 1;
	return vr_render_status(&r->m, pp, &ctx);
}

/*
 * vmar_race's parameters, set and read as root's sysfs writes do
 * (vr_param_set()): a case that lowers a limit reads it first and writes
 * it back at its end.
 */
static int param_write(const char *name, const char *val)
{
	return vr_param_set(name, val);
}

static int param_write_uint(const char *name, unsigned int val)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", val);
	return param_write(name, buf);
}

static int param_read_uint(const char *name, unsigned int *val)
{
	char *page = (char *)__get_free_page(GFP_KERNEL);
	int ret;

	if (!page)
		return -ENOMEM;
	ret = vr_param_get(name, page);
	if (ret >= 0)
		ret = kstrtouint(strim(page), 10, val);
	free_page((unsigned long)page);
	return ret;
}

/* ---- registry ---- */

static void spawn_sets_identity(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "init");

	KUNIT_EXPECT_GT(test, pp->pid, 0);
	KUNIT_EXPECT_STREQ(test, pp->name, "init");
	KUNIT_EXPECT_PTR_EQ(test, pp->spawner, task_tgid(current));
	KUNIT_EXPECT_TRUE(test, uid_eq(rcu_access_pointer(pp->cred)->euid, current_euid()));
	KUNIT_EXPECT_EQ(test, pp->state, VR_RUNNING);
}

static void spawn_default_name(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "");

	KUNIT_EXPECT_STREQ(test, pp->name, "pproc");
}

static void spawn_respects_max_procs(struct kunit *test)
{
	struct vr_test *t = test->priv;
	long live = stat(&vr_stats.live) + stat(&vr_stats.zombie);
	unsigned int old;
	pid_t pid;

	KUNIT_ASSERT_EQ(test, param_read_uint("max_procs", &old), 0);
	KUNIT_ASSERT_EQ(test, param_write_uint("max_procs", live + 1), 0);
	spawn_auto(test, "one");
	KUNIT_EXPECT_EQ(test, kspawn(t->owner, "two", &pid), -EAGAIN);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.live) + stat(&vr_stats.zombie), live + 1);
	KUNIT_EXPECT_EQ(test, param_write_uint("max_procs", old), 0);
}

static void pid_not_reused_before_reap(struct kunit *test)
{
	struct vr_pproc *a = spawn_auto(test, "a"), *b;

	KUNIT_ASSERT_EQ(test, vr_pproc_exit(a), 0);
	b = spawn_auto(test, "b");
	KUNIT_EXPECT_NE(test, a->pid, b->pid);
	KUNIT_EXPECT_PTR_EQ(test, vr_pproc_find(a->pid), a);
	vr_pproc_put(a);
}

/* An unpublished spawn is invisible and its undo touches nothing else. */
static void spawn_abort_is_invisible(struct kunit *test)
{
	struct vr_test *t = test->priv;
	long spawned = stat(&vr_stats.spawned), alive = vmars_alive();
	struct vr_pproc *pp = vr_pproc_spawn(t->owner, "ab");
	pid_t pid;

	KUNIT_ASSERT_FALSE(test, IS_ERR(pp));
	pid = pp->pid;
	KUNIT_EXPECT_NULL(test, vr_pproc_find(pid));
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), -ESRCH);
	vr_pproc_abort(pp);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.spawned), spawned);
	KUNIT_EXPECT_EQ(test, vmars_alive(), alive);
	KUNIT_EXPECT_NULL(test, vr_pproc_find(pid));
}

static void exit_makes_zombie(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "z");

	KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, pp->state, VR_ZOMBIE);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(pp->slot));
	KUNIT_EXPECT_NULL(test, vr_pproc_vmar_get(pp));
}

static void exit_twice_is_einval(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "z");

	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), -EINVAL);
}

static void reap_running_is_einval(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "r");

	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pp->pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, pp->state, VR_RUNNING);
}

static void reap_removes_pid(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "r");
	pid_t pid = pp->pid;

	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), 0);
	KUNIT_EXPECT_NULL(test, vr_pproc_find(pid));
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), -ESRCH);
}

static void reap_unknown_is_esrch(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(VR_PID_MAX - 1), -ESRCH);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(0), -ESRCH);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(-5), -ESRCH);
}

static void owner_release_exits_running(struct kunit *test)
{
	struct vr_test *t = test->priv;
	struct vr_pproc *a = spawn_auto(test, "a"), *b = spawn_auto(test, "b");

	KUNIT_ASSERT_EQ(test, vr_pproc_exit(b), 0);
	vr_owner_release(t->owner);
	t->owner = vr_owner_create();
	KUNIT_ASSERT_NOT_NULL(test, t->owner);
	KUNIT_EXPECT_EQ(test, a->state, VR_ZOMBIE);
	KUNIT_EXPECT_EQ(test, b->state, VR_ZOMBIE);
}

static void stats_follow_lifecycle(struct kunit *test)
{
	long spawned = stat(&vr_stats.spawned), exited = stat(&vr_stats.exited);
	long reaped = stat(&vr_stats.reaped), alive = vmars_alive();
	struct vr_pproc *pp = spawn(test, "s");
	pid_t pid = pp->pid;

	KUNIT_EXPECT_EQ(test, stat(&vr_stats.spawned), spawned + 1);
	KUNIT_EXPECT_EQ(test, vmars_alive(), alive + 1);
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	vr_pproc_put(pp);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.exited), exited + 1);
	KUNIT_EXPECT_EQ(test, vmars_alive(), alive);
	KUNIT_ASSERT_EQ(test, vr_pproc_reap(pid), 0);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.reaped), reaped + 1);
}

/* ---- VMAR ---- */

static void map_accounts_size(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "m"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 4 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x20000, 2 * PG, VMAR_RACE_MAP_FILE), 0);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 2UL);
	KUNIT_EXPECT_EQ(test, v->total_pages, 6UL);
	KUNIT_EXPECT_EQ(test, v->rss_anon + v->rss_file, 0UL);
}

static void map_rejects_bad_ranges(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "m"));

	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000, 0, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10001, PG, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000, PG + 1, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, U64_MAX - PG + 1, 2 * PG, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000, PG, 0x10), -EINVAL);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 0UL);
}

static void map_rejects_overlap(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "m"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 4 * PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000 + 3 * PG, 2 * PG, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000 - PG, 2 * PG, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x8000, 16 * PG, RW), -EEXIST);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000 + 4 * PG, PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000 - PG, PG, RW), 0);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 3UL);
}

static void map_respects_max_maps(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "m"));
	unsigned int old;

	KUNIT_ASSERT_EQ(test, param_read_uint("max_maps", &old), 0);
	KUNIT_ASSERT_EQ(test, param_write_uint("max_maps", 2), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000, PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x20000, PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x30000, PG, RW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 2UL);
	KUNIT_EXPECT_EQ(test, param_write_uint("max_maps", old), 0);
}

static void map_respects_max_pages(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "m"));
	unsigned int old;

	KUNIT_ASSERT_EQ(test, param_read_uint("max_pages", &old), 0);
	KUNIT_ASSERT_EQ(test, param_write_uint("max_pages", 8), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x10000, 6 * PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x20000, 3 * PG, RW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x20000, 2 * PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_map(v, 0x30000, 1ULL << 40, RW), -ENOMEM);
	KUNIT_EXPECT_EQ(test, v->total_pages, 8UL);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x10000, 1ULL << 40), -ENOMEM);
	KUNIT_EXPECT_EQ(test, param_write_uint("max_pages", old), 0);
}

static void touch_counts_each_page_once(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "t"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 8 * PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x10000, 4 * PG), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x10000 + 2 * PG, 4 * PG), 0);
	KUNIT_EXPECT_EQ(test, v->rss_anon, 6UL);
	KUNIT_EXPECT_EQ(test, v->rss_file, 0UL);
}

static void touch_splits_anon_and_file(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "t"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 2 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000 + 2 * PG, 3 * PG, VMAR_RACE_MAP_FILE), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x10000, 5 * PG), 0);
	KUNIT_EXPECT_EQ(test, v->rss_anon, 2UL);
	KUNIT_EXPECT_EQ(test, v->rss_file, 3UL);
}

static void touch_unmapped_is_enomem(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "t"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 2 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000 + 3 * PG, 2 * PG, RW), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x10000, 5 * PG), -ENOMEM);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, 0x90000, PG), -ENOMEM);
	KUNIT_EXPECT_EQ(test, v->rss_anon, 0UL);
}

static void unmap_punches_hole(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "u"));
	struct vr_mapping *m;

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 8 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, 0x10000, 8 * PG), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_unmap(v, 0x10000 + 2 * PG, 3 * PG), 0);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 2UL);
	KUNIT_EXPECT_EQ(test, v->total_pages, 5UL);
	KUNIT_EXPECT_EQ(test, v->rss_anon, 5UL);
	m = vr_vmar_first_from(v, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->end, 0x10000 + 2 * PG);
	m = vr_vmar_first_from(v, m->end);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->start, 0x10000 + 5 * PG);
	KUNIT_EXPECT_EQ(test, m->flags, RW);
}

static void unmap_trims_and_spans(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "u"));

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 4 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x20000, 4 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x30000, 4 * PG, VMAR_RACE_MAP_FILE), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, 0x30000, 4 * PG), 0);
	/* Cuts the tail of the first, all of the second, the head of the third. */
	KUNIT_EXPECT_EQ(test, vr_vmar_unmap(v, 0x12000, 0x31000 - 0x12000), 0);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 2UL);
	KUNIT_EXPECT_EQ(test, v->total_pages, 5UL);
	KUNIT_EXPECT_EQ(test, v->rss_file, 3UL);
	KUNIT_EXPECT_EQ(test, vr_vmar_first_from(v, 0x20000)->start, 0x30000 + PG);
}

/* One UNMAP over more mappings than one v->lock section takes (32). */
static void unmap_spans_many_batches(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "u"));
	u64 base = 0x100000, i;

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, base, 4 * PG, RW), 0);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, vr_vmar_map(v, base + (6 + 2 * i) * PG, PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, base + 206 * PG, 4 * PG, VMAR_RACE_MAP_FILE), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, base, 4 * PG), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, base + 206 * PG, 4 * PG), 0);
	KUNIT_ASSERT_EQ(test, v->nr_maps, 102UL);
	/* Trims the first and the last, removes the 100 between them. */
	KUNIT_EXPECT_EQ(test, vr_vmar_unmap(v, base + 2 * PG, 206 * PG), 0);
	KUNIT_EXPECT_EQ(test, v->nr_maps, 2UL);
	KUNIT_EXPECT_EQ(test, v->total_pages, 4UL);
	KUNIT_EXPECT_EQ(test, v->rss_anon, 2UL);
	KUNIT_EXPECT_EQ(test, v->rss_file, 2UL);
	KUNIT_ASSERT_NOT_NULL(test, vr_vmar_first_from(v, 0));
	KUNIT_EXPECT_EQ(test, vr_vmar_first_from(v, 0)->end, base + 2 * PG);
	KUNIT_ASSERT_NOT_NULL(test, vr_vmar_first_from(v, base + 2 * PG));
	KUNIT_EXPECT_EQ(test, vr_vmar_first_from(v, base + 2 * PG)->start, base + 208 * PG);
	KUNIT_EXPECT_EQ(test, vr_vmar_touch(v, base + 2 * PG, PG), -ENOMEM);
}

static void unmap_split_respects_max_maps(struct kunit *test)
{
	struct vr_vmar *v = vmar_of(test, spawn_auto(test, "u"));
	unsigned int old;

	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 8 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, param_read_uint("max_maps", &old), 0);
	KUNIT_ASSERT_EQ(test, param_write_uint("max_maps", 1), 0);
	KUNIT_EXPECT_EQ(test, vr_vmar_unmap(v, 0x10000 + PG, PG), -ENOMEM);
	KUNIT_EXPECT_EQ(test, v->total_pages, 8UL);
	KUNIT_EXPECT_EQ(test, vr_vmar_unmap(v, 0x10000, PG), 0);	/* no split */
	KUNIT_EXPECT_EQ(test, v->total_pages, 7UL);
	KUNIT_EXPECT_EQ(test, param_write_uint("max_maps", old), 0);
}

/* ---- lifetime ---- */

static void vmar_outlives_exit_while_referenced(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "l");
	long alive = vmars_alive();
	struct vr_vmar *v = vr_pproc_vmar_get(pp);

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, vmars_alive(), alive);	/* our reference */
	KUNIT_EXPECT_EQ(test, v->nr_maps, 1UL);
	vr_vmar_put(v);
	KUNIT_EXPECT_EQ(test, vmars_alive(), alive - 1);
}

/* ---- rendering ---- */

static void status_running_shows_vm_lines(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "st");
	struct vr_vmar *v = vmar_of(test, pp);
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	const struct cred *c = current_cred();
	char want[320];

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x10000, 4 * PG, RW), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_map(v, 0x20000, 2 * PG, VMAR_RACE_MAP_FILE), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, 0x10000, 3 * PG), 0);
	KUNIT_ASSERT_EQ(test, vr_vmar_touch(v, 0x20000, PG), 0);
	KUNIT_ASSERT_EQ(test, render(r, pp, "fixed"), 0);
	snprintf(want, sizeof(want),
		 "Name:\tst\nState:\tR (running)\nPid:\t%d\nPPid:\t%d\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nVmSize:\t      24 kB\nVmRSS:\t      16 kB\nRssAnon:\t      12 kB\nRssFile:\t       4 kB\nMappings:\t2\n",
		 pp->pid, task_tgid_vnr(current),
		 from_kuid(&init_user_ns, c->uid), from_kuid(&init_user_ns, c->euid),
		 from_kuid(&init_user_ns, c->suid), from_kuid(&init_user_ns, c->fsuid),
		 from_kgid(&init_user_ns, c->gid), from_kgid(&init_user_ns, c->egid),
		 from_kgid(&init_user_ns, c->sgid), from_kgid(&init_user_ns, c->fsgid));
	KUNIT_EXPECT_STREQ(test, r->buf, want);
}

static const char * const fixed_modes[] = { "checked", "fixed", "rcu" };

static void mode_desc(const char * const *p, char *desc)
{
	strscpy(desc, *p, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fixed_mode, fixed_modes, mode_desc);

static void status_zombie_has_no_vm_lines(struct kunit *test)
{
	const char *mode = *(const char * const *)test->param_value;
	struct vr_pproc *pp = spawn_auto(test, "zz");
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	long zombie_reads = stat(&vr_stats.zombie_reads);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_ASSERT_EQ(test, render(r, pp, mode), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(r->buf, "State:\tZ (zombie)\n"));
	KUNIT_EXPECT_NULL(test, strstr(r->buf, "Vm"));
	KUNIT_EXPECT_NULL(test, strstr(r->buf, "Rss"));
	KUNIT_EXPECT_NULL(test, strstr(r->buf, "Mappings"));
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.zombie_reads), zombie_reads + 1);
}

static void buggy_zombie_read_unwraps_none(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "bz");
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	long none = stat(&vr_stats.unwrap_none);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, render(r, pp, "buggy"), 0);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.unwrap_none), none);
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, render(r, pp, "buggy"), -EIO);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.unwrap_none), none + 1);
}

/* ---- forced interleavings ---- */

struct reader {
	struct vr_pproc *pp;
	const char *mode;
	struct render r;
	int ret;
	struct completion done;
};

static int reader_fn(void *arg)
{
	struct reader *rd = arg;

	rd->ret = render(&rd->r, rd->pp, rd->mode);
	complete(&rd->done);
	return 0;
}

/*
 * Pause a reader of a fresh pproc at @point, exit the pproc, resume the
 * reader. Returns the reader's result; its output is in rd->r.buf.
 */
static int interleave(struct kunit *test, struct reader *rd, const char *mode,
		      enum vr_pause_point point, long *alive_during)
{
	struct vr_test *t = test->priv;
	struct task_struct *task;
	pid_t pid;
	int ret;

	KUNIT_ASSERT_EQ(test, kspawn(t->owner, "race", &pid), 0);
	rd->pp = vr_pproc_find(pid);
	KUNIT_ASSERT_NOT_NULL(test, rd->pp);
	rd->mode = mode;
	init_completion(&rd->done);
	KUNIT_ASSERT_EQ(test, vr_pause_arm(point, pid), 0);
	task = kthread_run(reader_fn, rd, "vr_reader");
	if (IS_ERR(task)) {
		vr_pause_release(point, pid);
		vr_pproc_put(rd->pp);
		KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		return -ECHILD;
	}
	if (vr_pause_wait(point, pid, 10 * HZ)) {
		/* Disarm, or let go a reader that took the point meanwhile. */
		vr_pause_release(point, pid);
		wait_for_completion(&rd->done);
		vr_pproc_put(rd->pp);
		KUNIT_FAIL(test, "the reader never reached pause point %d", point);
		return -ETIMEDOUT;
	}
	KUNIT_EXPECT_EQ(test, vr_pproc_exit(rd->pp), 0);	/* runs to completion */
	if (alive_during)
		*alive_during = vmars_alive();
	KUNIT_EXPECT_EQ(test, vr_pause_release(point, pid), 0);
	wait_for_completion(&rd->done);
	ret = rd->ret;
	vr_pproc_put(rd->pp);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), 0);
	return ret;
}

static void interleave_buggy_observes_none(struct kunit *test)
{
	struct reader *rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	long none = stat(&vr_stats.unwrap_none);
	int i, hits = 0;

	KUNIT_ASSERT_NOT_NULL(test, rd);
	for (i = 0; i < INTERLEAVINGS; i++)
		hits += interleave(test, rd, "buggy", VR_PAUSE_FOUND, NULL) == -EIO;
	KUNIT_EXPECT_EQ(test, hits, INTERLEAVINGS);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.unwrap_none), none + INTERLEAVINGS);
}

static void interleave_fixed_modes_serve_zombie(struct kunit *test)
{
	const char *mode = *(const char * const *)test->param_value;
	struct reader *rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	long none = stat(&vr_stats.unwrap_none);
	int i, good = 0;

	KUNIT_ASSERT_NOT_NULL(test, rd);
	for (i = 0; i < INTERLEAVINGS; i++) {
		if (interleave(test, rd, mode, VR_PAUSE_FOUND, NULL))
			continue;
		good += strstr(rd->r.buf, "State:\tZ (zombie)\n") &&
			!strstr(rd->r.buf, "VmSize");
	}
	KUNIT_EXPECT_EQ(test, good, INTERLEAVINGS);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.unwrap_none), none);
}

static const char * const ref_modes[] = { "fixed", "rcu" };
KUNIT_ARRAY_PARAM(ref_mode, ref_modes, mode_desc);

/*
 * A reader holding its reference keeps the VMAR alive through exit, and its
 * output is one snapshot in Linux's order: the state it read before taking
 * the VMAR (running) with the Vm lines, never a zombie with Vm lines.
 */
static void interleave_reference_outlives_exit(struct kunit *test)
{
	const char *mode = *(const char * const *)test->param_value;
	struct reader *rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	long before = vmars_alive(), during;
	int i, good = 0, torn = 0;

	KUNIT_ASSERT_NOT_NULL(test, rd);
	for (i = 0; i < INTERLEAVINGS; i++) {
		if (interleave(test, rd, mode, VR_PAUSE_HELD, &during))
			continue;
		torn += strstr(rd->r.buf, "State:\tZ") && strstr(rd->r.buf, "Vm");
		good += during == before + 1 && vmars_alive() == before &&
			strstr(rd->r.buf, "State:\tR (running)\n") &&
			strstr(rd->r.buf, "VmSize:");
	}
	KUNIT_EXPECT_EQ_MSG(test, torn, 0, "zombie status with Vm lines: %s", rd->r.buf);
	KUNIT_EXPECT_EQ(test, good, INTERLEAVINGS);
}

/* The locked modes never pause holding pp->lock: "held" is not reached. */
static void interleave_locked_modes_do_not_pause_locked(struct kunit *test)
{
	static const char * const locked[] = { "buggy", "checked" };
	struct vr_pproc *pp = spawn_auto(test, "lk");
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < ARRAY_SIZE(locked); i++) {
		KUNIT_ASSERT_EQ(test, vr_pause_arm(VR_PAUSE_HELD, pp->pid), 0);
		KUNIT_EXPECT_EQ(test, render(r, pp, locked[i]), 0);
		/* Still armed and unreached: release disarms it. */
		KUNIT_EXPECT_EQ_MSG(test, vr_pause_wait(VR_PAUSE_HELD, pp->pid, 1),
				    -ETIMEDOUT, "%s paused at \"held\"", locked[i]);
		KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_HELD, pp->pid), 0);
	}
}

/* The pause API's errors, and that release of an unreached point disarms. */
static void pause_points_reject_misuse(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "pz");
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, vr_pause_arm(VR_NR_PAUSE, pp->pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_pause_arm(VR_PAUSE_FOUND, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_FOUND, pp->pid), -ENOENT);
	KUNIT_EXPECT_EQ(test, vr_pause_wait(VR_PAUSE_FOUND, pp->pid, 1), -ENOENT);
	KUNIT_ASSERT_EQ(test, vr_pause_arm(VR_PAUSE_FOUND, pp->pid), 0);
	KUNIT_EXPECT_EQ(test, vr_pause_arm(VR_PAUSE_FOUND, pp->pid), -EBUSY);
	KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_FOUND, pp->pid), 0);
	/* Disarmed: a read goes straight through. */
	KUNIT_EXPECT_EQ(test, render(r, pp, "fixed"), 0);
	KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_FOUND, pp->pid), -ENOENT);
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&vr_pause_key));
}

/* ---- publication: spawn touches nothing once the pid is findable ---- */

static struct task_struct *pub_watch;
static atomic_t pub_reports;

static void pub_probe(void *data, enum error_detector det, unsigned long id)
{
	if (current == READ_ONCE(pub_watch))
		atomic_inc(&pub_reports);
}

struct spawner {
	struct vr_owner *owner;
	pid_t pid;
	int ret;
	struct completion done;
};

static int spawner_fn(void *arg)
{
	struct spawner *sp = arg;

	WRITE_ONCE(pub_watch, current);
	sp->ret = kspawn(sp->owner, "pub", &sp->pid);
	WRITE_ONCE(pub_watch, NULL);
	complete(&sp->done);
	return 0;
}

/*
 * The spawner is held just after it published a pid another descriptor can
 * guess (pids are cyclic: the one after a fresh pid comes next); the case
 * exits and reaps that pid, and RCU frees the pproc; then the spawner goes
 * on. Any touch of the pproc after publication is a KASAN report in the
 * spawner (counted here, and judged on the console). Without KASAN the
 * case still checks the order: the pproc was findable, reaped and freed
 * before the spawn returned.
 */
static void publish_then_reap_touches_nothing(struct kunit *test)
{
	struct vr_test *t = test->priv;
	struct spawner *sp = kunit_kzalloc(test, sizeof(*sp), GFP_KERNEL);
	struct task_struct *task;
	struct vr_pproc *pp;
	long alive;
	pid_t pid, next;

	KUNIT_ASSERT_NOT_NULL(test, sp);
	KUNIT_ASSERT_EQ(test, kspawn(t->owner, "guess", &pid), 0);
	pp = vr_pproc_find(pid);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), 0);
	vr_pproc_put(pp);
	KUNIT_ASSERT_EQ(test, vr_pproc_reap(pid), 0);
	next = pid + 1;
	rcu_barrier();
	alive = stat(&vr_stats.pprocs_alive);

	sp->owner = t->owner;
	init_completion(&sp->done);
	atomic_set(&pub_reports, 0);
	KUNIT_ASSERT_EQ(test, vr_pause_arm(VR_PAUSE_PUBLISHED, next), 0);
	if (register_trace_error_report_end(pub_probe, NULL)) {
		vr_pause_release(VR_PAUSE_PUBLISHED, next);
		KUNIT_FAIL(test, "error_report_end probe not registered");
		return;
	}
	/* No KUNIT_ASSERT from here: the probe and the thread need undoing. */
	task = kthread_run(spawner_fn, sp, "vr_spawner");
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "spawner thread: %ld", PTR_ERR(task));
		vr_pause_release(VR_PAUSE_PUBLISHED, next);
		goto out;
	}
	if (vr_pause_wait(VR_PAUSE_PUBLISHED, next, 10 * HZ)) {
		KUNIT_FAIL(test, "the spawn did not reach \"published\" for pid %d", next);
		vr_pause_release(VR_PAUSE_PUBLISHED, next);
	} else {
		pp = vr_pproc_find(next);
		KUNIT_EXPECT_NOT_NULL(test, pp);
		if (pp) {
			KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), 0);
			vr_pproc_put(pp);
			KUNIT_EXPECT_EQ(test, vr_pproc_reap(next), 0);
		}
		rcu_barrier();	/* the published pproc is freed now */
		KUNIT_EXPECT_EQ(test, stat(&vr_stats.pprocs_alive), alive);
		KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_PUBLISHED, next), 0);
	}
	wait_for_completion(&sp->done);
	KUNIT_EXPECT_EQ(test, sp->ret, 0);
	KUNIT_EXPECT_EQ(test, sp->pid, next);
out:
	unregister_trace_error_report_end(pub_probe, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&pub_reports), 0,
			    "the spawner touched the pproc after publishing it");
}

/* ---- trace_dump_on_report: its probe is there only while it is on ---- */

static void trace_probe_follows_its_parameter(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, param_write("trace_dump_on_report", "0"), 0);
	if (trace_error_report_end_enabled())
		kunit_skip(test, "error_report_end has another user");
	KUNIT_EXPECT_EQ(test, param_write("trace_dump_on_report", "1"), 0);
	KUNIT_EXPECT_TRUE(test, trace_error_report_end_enabled());
	KUNIT_EXPECT_EQ(test, param_write("trace_dump_on_report", "0"), 0);
	KUNIT_EXPECT_FALSE(test, trace_error_report_end_enabled());
	KUNIT_EXPECT_EQ(test, param_write("trace_dump_on_report", "maybe"), -EINVAL);
	KUNIT_EXPECT_FALSE(test, trace_error_report_end_enabled());
}

/* ---- a forced use-after-free, seen by KASAN ---- */

/*
 * The forced use-after-free case reads through uaf, or through the mode
 * vmar_race was explicitly loaded with (mode=fixed shows the case fail).
 * KUnit runs a module's suites before its own parameters are parsed.
 */
static const char *uaf_mode(void)
{
	const struct vr_read_mode *m = vr_mode_param();

	return m ? m->name : "uaf";
}

/*
 * KASAN reports end with the error_report_end trace event, in the faulting
 * task: count those of the reader we watch, and keep the rest of its read
 * quiet (kasan_multi_shot would report every access of the freed VMAR).
 * The reader is a kthread, not the KUnit task, so KASAN does not fail the
 * case by itself (6.12 fails any non-KASAN test that trips it).
 */
static struct task_struct *uaf_watch;
static atomic_t uaf_reports;

static void uaf_probe(void *data, enum error_detector det, unsigned long id)
{
	if (det != ERROR_DETECTOR_KASAN || current != READ_ONCE(uaf_watch))
		return;
	if (atomic_inc_return(&uaf_reports) == 1)
		kasan_disable_current();
}

static int uaf_reader_fn(void *arg)
{
	struct reader *rd = arg;

	WRITE_ONCE(uaf_watch, current);
	rd->ret = render(&rd->r, rd->pp, rd->mode);
	WRITE_ONCE(uaf_watch, NULL);
	if (atomic_read(&uaf_reports))
		kasan_enable_current();
	complete(&rd->done);
	return 0;
}

struct exiter {
	struct vr_pproc *pp;
	int ret;
	struct completion done;
};

static int exiter_fn(void *arg)
{
	struct exiter *ex = arg;

	ex->ret = vr_pproc_exit(ex->pp);
	complete(&ex->done);
	return 0;
}

/*
 * One forced round: the reader pauses holding the bare pointer ("held"),
 * an exiter exits the pproc and pauses as the last reference goes
 * ("free"); released, it frees the VMAR before it returns; then the reader
 * resumes and uses the freed VMAR. Returns the KASAN reports it caused.
 */
static int uaf_round(struct kunit *test, struct reader *rd, struct exiter *ex)
{
	struct vr_test *t = test->priv;
	struct task_struct *task;
	pid_t pid;
	int n = 0;

	/*
	 * No KUNIT_ASSERT here: the caller's probe must be unregistered,
	 * and a started reader must end before rd (test memory) goes.
	 */
	if (kspawn(t->owner, "uaf", &pid)) {
		KUNIT_FAIL(test, "spawn failed");
		return 0;
	}
	rd->pp = vr_pproc_find(pid);
	if (!rd->pp) {
		KUNIT_FAIL(test, "spawned pid %d not found", pid);
		return 0;
	}
	ex->pp = rd->pp;
	rd->mode = uaf_mode();
	init_completion(&rd->done);
	init_completion(&ex->done);
	atomic_set(&uaf_reports, 0);
	if (vr_pause_arm(VR_PAUSE_HELD, pid) || vr_pause_arm(VR_PAUSE_FREE, pid)) {
		KUNIT_FAIL(test, "pause points could not be armed");
		goto out_disarm;
	}
	task = kthread_run(uaf_reader_fn, rd, "vr_uaf_reader");
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "reader thread: %ld", PTR_ERR(task));
		goto out_disarm;
	}
	KUNIT_EXPECT_EQ(test, vr_pause_wait(VR_PAUSE_HELD, pid, 10 * HZ), 0);
	task = kthread_run(exiter_fn, ex, "vr_exiter");
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "exiter thread: %ld", PTR_ERR(task));
		vr_pause_release_all();
		wait_for_completion(&rd->done);
		goto out_put;
	}
	/* The exiter drops the last reference unless the reader holds one. */
	if (!wait_for_completion_timeout(&ex->done, HZ / 10)) {
		KUNIT_EXPECT_EQ(test, vr_pause_wait(VR_PAUSE_FREE, pid, 10 * HZ), 0);
		KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_FREE, pid), 0);
		wait_for_completion(&ex->done);
	} else {
		vr_pause_release(VR_PAUSE_FREE, pid);	/* disarm */
	}
	KUNIT_EXPECT_EQ(test, ex->ret, 0);
	KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_HELD, pid), 0);
	wait_for_completion(&rd->done);
	n = atomic_read(&uaf_reports);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), 0);
	goto out_put;

out_disarm:
	vr_pause_release_all();
out_put:
	vr_pproc_put(rd->pp);
	return n;
}

/*
 * uaf, forced: a KASAN use-after-free report every round, in UAF_BATCHES
 * cases of INTERLEAVINGS / UAF_BATCHES rounds (each well inside the 30 s
 * hung-task limit of insmod, which waits for every case). Needs a KASAN
 * kernel booted with kasan_multi_shot (else KASAN reports once per boot).
 * The console brackets the expected reports for scripts/judge.py.
 */
#define UAF_BATCHES 10
static const int uaf_batches[UAF_BATCHES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static void uaf_batch_desc(const int *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "batch %d of %d", *p, UAF_BATCHES);
}

KUNIT_ARRAY_PARAM(uaf_batch, uaf_batches, uaf_batch_desc);

static void interleave_uaf_is_use_after_free(struct kunit *test)
{
	const int rounds = INTERLEAVINGS / UAF_BATCHES;
	struct reader *rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	struct exiter *ex = kunit_kzalloc(test, sizeof(*ex), GFP_KERNEL);
	int i, seen = 0;

	if (!IS_ENABLED(CONFIG_KASAN))
		kunit_skip(test, "needs a KASAN kernel");
	KUNIT_ASSERT_NOT_NULL(test, rd);
	KUNIT_ASSERT_NOT_NULL(test, ex);
	KUNIT_ASSERT_EQ(test, register_trace_error_report_end(uaf_probe, NULL), 0);
	pr_info("expected KASAN reports begin: %d forced rounds of mode %s\n",
		rounds, uaf_mode());
	for (i = 0; i < rounds; i++) {
		if (!uaf_round(test, rd, ex))
			break;		/* one miss fails the case: stop there */
		seen++;
	}
	pr_info("expected KASAN reports end: %d of %d rounds reported\n",
		seen, rounds);
	unregister_trace_error_report_end(uaf_probe, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ_MSG(test, seen, rounds,
			    "round %d of mode %s: no KASAN report (booted without kasan_multi_shot?)",
			    seen + 1, uaf_mode());
}

/* ---- the second race: a maps file's pin on the VMAR (maps_mode) ---- */

/* Count what a maps read would list; -1 when it is handed no VMAR. */
static int count_maps(enum vr_state state, struct vr_vmar *v, void *arg)
{
	struct vr_mapping *m;
	int *n = arg;

	*n = -1;
	if (!v)
		return 0;
	*n = 0;
	spin_lock(&v->lock);
	for (m = vr_vmar_first_from(v, 0); m; m = vr_vmar_next(m))
		(*n)++;
	spin_unlock(&v->lock);
	return 0;
}

/* A fresh pproc the case reaps and puts itself. */
static struct vr_pproc *fresh(struct kunit *test, const char *name)
{
	struct vr_test *t = test->priv;
	struct vr_pproc *pp;
	pid_t pid;

	KUNIT_ASSERT_EQ(test, kspawn(t->owner, name, &pid), 0);
	pp = vr_pproc_find(pid);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	return pp;
}

/* A running pproc with four mappings, and its VMAR grabbed as maps opens. */
static struct vr_vmar *grabbed(struct kunit *test, struct vr_pproc *pp)
{
	struct vr_vmar *v = vr_pproc_vmar_get(pp);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, v);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, vr_vmar_map(v, (2 * i + 1) * PG, PG, RW), 0);
	vr_vmar_grab(v);
	vr_vmar_put(v);
	return v;
}

/*
 * upgrade, after exit: the last user tore the mappings down, the upgrade
 * fails and the read lists nothing; the object stays until the drop.
 */
static void pin_upgrade_after_exit_reads_nothing(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "pu");
	long before = vmars_alive();
	struct vr_vmar *v = grabbed(test, pp);
	int n = 0;

	KUNIT_EXPECT_EQ(test, vr_maps_pin_read(v, pp->pid, VR_MAPS_UPGRADE,
					       count_maps, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 4);
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&v->users), 0);
	KUNIT_EXPECT_EQ(test, vr_maps_pin_read(v, pp->pid, VR_MAPS_UPGRADE,
					       count_maps, &n), 0);
	KUNIT_EXPECT_EQ(test, n, -1);
	KUNIT_EXPECT_EQ(test, vmars_alive(), before);	/* grabbed: not freed */
	vr_vmar_drop(v);
	KUNIT_EXPECT_EQ(test, vmars_alive(), before - 1);
}

struct pin_reader {
	struct vr_vmar *v;
	pid_t pid;
	enum vr_maps_mode mm;
	int n, ret;
	struct completion done;
};

/*
 * The first step of a maps walk: the end of the tree's top mapping. After
 * a teardown that is freed memory; what KASAN writes into freed objects
 * (its free metadata) makes any further step a wild pointer, so a case
 * that reads freed mappings takes just this one.
 */
static int first_map(enum vr_state state, struct vr_vmar *v, void *arg)
{
	struct rb_node *top;
	int *n = arg;

	*n = -1;
	if (!v)
		return 0;
	spin_lock(&v->lock);
	top = READ_ONCE(v->maps.rb_node);
	*n = top ? (int)(rb_entry(top, struct vr_mapping, node)->end >> 12) : 0;
	spin_unlock(&v->lock);
	return 0;
}

/*
 * A maps read of a pinned VMAR in a kthread, watched by uaf_probe: grab
 * takes the walk's first step only (first_map()), upgrade counts them all.
 */
static int pin_reader_fn(void *arg)
{
	struct pin_reader *pr = arg;

	WRITE_ONCE(uaf_watch, current);
	pr->ret = vr_maps_pin_read(pr->v, pr->pid, pr->mm,
				   pr->mm == VR_MAPS_GRAB ? first_map : count_maps,
				   &pr->n);
	WRITE_ONCE(uaf_watch, NULL);
	if (atomic_read(&uaf_reports))
		kasan_enable_current();
	complete(&pr->done);
	return 0;
}

/*
 * upgrade, forced: the reader upgraded and pauses ("held"); exit runs to
 * completion, the mappings stay (the reader is a user); resumed, the
 * reader lists all four, and its put tears them down.
 */
static void pin_upgrade_holds_mappings_through_exit(struct kunit *test)
{
	struct pin_reader *pr = kunit_kzalloc(test, sizeof(*pr), GFP_KERNEL);
	struct task_struct *task;
	struct vr_pproc *pp;
	int i, good = 0;

	KUNIT_ASSERT_NOT_NULL(test, pr);
	atomic_set(&uaf_reports, 0);	/* no probe here: nothing to re-enable */
	for (i = 0; i < 10; i++) {
		pp = fresh(test, "ph");
		pr->v = grabbed(test, pp);
		pr->pid = pp->pid;
		pr->mm = VR_MAPS_UPGRADE;
		init_completion(&pr->done);
		KUNIT_ASSERT_EQ(test, vr_pause_arm(VR_PAUSE_HELD, pp->pid), 0);
		task = kthread_run(pin_reader_fn, pr, "vr_pin_reader");
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		KUNIT_EXPECT_EQ(test, vr_pause_wait(VR_PAUSE_HELD, pp->pid, 10 * HZ), 0);
		KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), 0);
		KUNIT_EXPECT_EQ(test, refcount_read(&pr->v->users), 1);
		KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_HELD, pp->pid), 0);
		wait_for_completion(&pr->done);
		good += pr->ret == 0 && pr->n == 4 &&
			refcount_read(&pr->v->users) == 0;
		vr_vmar_drop(pr->v);
		KUNIT_EXPECT_EQ(test, vr_pproc_reap(pp->pid), 0);
		vr_pproc_put(pp);
	}
	KUNIT_EXPECT_EQ(test, good, 10);
}

/* The parameter: lookup by default, the three names, nothing else. */
static void maps_mode_parameter_validates(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr_maps_mode_now(), VR_MAPS_LOOKUP);
	KUNIT_EXPECT_EQ(test, param_write("maps_mode", "upgrade"), 0);
	KUNIT_EXPECT_EQ(test, vr_maps_mode_now(), VR_MAPS_UPGRADE);
	KUNIT_EXPECT_EQ(test, param_write("maps_mode", "mmget"), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_maps_mode_now(), VR_MAPS_UPGRADE);
	KUNIT_EXPECT_EQ(test, param_write("maps_mode", "lookup"), 0);
	KUNIT_EXPECT_STREQ(test, vr_maps_mode_name(VR_MAPS_GRAB), "grab");
}

/* ---- the third race: credentials replaced under a reader (cred_mode) ---- */

static int render_cred(struct render *r, struct vr_pproc *pp,
		       enum vr_cred_mode cm)
{
	struct vr_read_ctx ctx = {
		.mode = vr_mode_find("fixed"),
		.file = VR_FILE_STATUS,
		.cred_mode = cm,
	};

	memset(r, 0, sizeof(*r));
	r->m.buf = r->buf;
	r->m.size = sizeof(r->buf) - 1;
	return vr_render_status(&r->m, pp, &ctx);
}

static bool shows_ids(const char *buf, unsigned int uid, unsigned int gid)
{
	char want[80];

	snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
		 uid, uid, uid, uid, gid, gid, gid, gid);
	return strstr(buf, want);
}

#define KID(n) make_kuid(&init_user_ns, n)
#define KGD(n) make_kgid(&init_user_ns, n)

/* SETIDS shows at once; the old credentials are freed a grace period on. */
static void setids_replaces_and_frees_old(struct kunit *test)
{
	struct vr_pproc *pp = spawn_auto(test, "si");
	struct render *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	long alive, setids = stat(&vr_stats.setids);
	int cm;

	KUNIT_ASSERT_NOT_NULL(test, r);
	rcu_barrier();
	alive = stat(&vr_stats.creds_alive);
	for (cm = 0; cm < VR_NR_CRED_MODES; cm++) {
		KUNIT_ASSERT_EQ(test, vr_pproc_setids(pp, KID(1000 + cm), KGD(2000 + cm)), 0);
		KUNIT_EXPECT_EQ(test, render_cred(r, pp, cm), 0);
		KUNIT_EXPECT_TRUE_MSG(test, shows_ids(r->buf, 1000 + cm, 2000 + cm),
				      "%s", r->buf);
	}
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.creds_alive), alive);
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.setids), setids);	/* ioctl only */
	KUNIT_ASSERT_EQ(test, vr_pproc_exit(pp), 0);
	KUNIT_EXPECT_EQ(test, vr_pproc_setids(pp, KID(0), KGD(0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, render_cred(r, pp, VR_CRED_RCU), 0);
	KUNIT_EXPECT_TRUE(test, shows_ids(r->buf, 1000 + VR_NR_CRED_MODES - 1,
					  2000 + VR_NR_CRED_MODES - 1));
}

struct cred_reader {
	struct vr_pproc *pp;
	enum vr_cred_mode cm;
	struct render r;
	int ret;
	struct completion done;
};

static int cred_reader_fn(void *arg)
{
	struct cred_reader *cr = arg;

	WRITE_ONCE(uaf_watch, current);	/* uaf_probe counts its reports */
	cr->ret = render_cred(&cr->r, cr->pp, cr->cm);
	WRITE_ONCE(uaf_watch, NULL);
	if (atomic_read(&uaf_reports))
		kasan_enable_current();
	complete(&cr->done);
	return 0;
}

/*
 * One forced round: a reader of a fresh pproc (ids 1000) stops at "cred"
 * holding the pointer; SETIDS makes them 1001 and puts the old ones; with
 * @barrier the case also waits for their free (a reader inside RCU would
 * hold that up: only plain may be given it). Then the reader goes on.
 * Returns the KASAN reports the reader caused; its output is in cr->r.
 */
static int cred_round(struct kunit *test, struct cred_reader *cr,
		      enum vr_cred_mode cm, bool barrier)
{
	struct vr_test *t = test->priv;
	struct task_struct *task;
	pid_t pid;

	if (kspawn(t->owner, "cred", &pid)) {
		KUNIT_FAIL(test, "spawn failed");
		return 0;
	}
	cr->pp = vr_pproc_find(pid);
	if (!cr->pp) {
		KUNIT_FAIL(test, "spawned pid %d not found", pid);
		return 0;
	}
	KUNIT_EXPECT_EQ(test, vr_pproc_setids(cr->pp, KID(1000), KGD(1000)), 0);
	rcu_barrier();
	cr->cm = cm;
	init_completion(&cr->done);
	atomic_set(&uaf_reports, 0);
	if (vr_pause_arm(VR_PAUSE_CRED, pid)) {
		KUNIT_FAIL(test, "pause point could not be armed");
		goto out;
	}
	task = kthread_run(cred_reader_fn, cr, "vr_cred_reader");
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "reader thread: %ld", PTR_ERR(task));
		vr_pause_release_all();
		goto out;
	}
	KUNIT_EXPECT_EQ(test, vr_pause_wait(VR_PAUSE_CRED, pid, 10 * HZ), 0);
	KUNIT_EXPECT_EQ(test, vr_pproc_setids(cr->pp, KID(1001), KGD(1001)), 0);
	if (barrier)
		rcu_barrier();		/* the old credentials are freed now */
	KUNIT_EXPECT_EQ(test, vr_pause_release(VR_PAUSE_CRED, pid), 0);
	wait_for_completion(&cr->done);
	KUNIT_EXPECT_EQ(test, cr->ret, 0);
out:
	KUNIT_EXPECT_EQ(test, vr_pproc_exit(cr->pp), 0);
	vr_pproc_put(cr->pp);
	KUNIT_EXPECT_EQ(test, vr_pproc_reap(pid), 0);
	return atomic_read(&uaf_reports);
}

/*
 * rcu and get, forced: rcu prints the ids it loaded (the old ones, kept
 * for it by the grace period), get finds the old count at zero and takes
 * the new ones; neither resurrects anything.
 */
static void cred_safe_modes_survive_replacement(struct kunit *test)
{
	struct cred_reader *cr = kunit_kzalloc(test, sizeof(*cr), GFP_KERNEL);
	long in_use = stat(&vr_stats.creds_freed_in_use);
	int i, old = 0, new = 0;

	KUNIT_ASSERT_NOT_NULL(test, cr);
	for (i = 0; i < 10; i++) {
		cred_round(test, cr, VR_CRED_RCU, false);
		old += shows_ids(cr->r.buf, 1000, 1000);
		cred_round(test, cr, VR_CRED_GET, false);
		new += shows_ids(cr->r.buf, 1001, 1001);
	}
	KUNIT_EXPECT_EQ(test, old, 10);
	KUNIT_EXPECT_EQ(test, new, 10);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.creds_freed_in_use), in_use);
}

static void cred_mode_parameter_validates(struct kunit *test)
{
	enum vr_cred_mode cm;

	KUNIT_EXPECT_EQ(test, vr_cred_mode_now(), VR_CRED_RCU);
	KUNIT_EXPECT_EQ(test, param_write("cred_mode", "get"), 0);
	KUNIT_EXPECT_EQ(test, vr_cred_mode_now(), VR_CRED_GET);
	KUNIT_EXPECT_EQ(test, param_write("cred_mode", "rcu_read_lock"), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr_cred_mode_now(), VR_CRED_GET);
	KUNIT_EXPECT_EQ(test, param_write("cred_mode", "rcu"), 0);
	KUNIT_EXPECT_EQ(test, vr_cred_mode_find("inc", &cm), 0);
	KUNIT_EXPECT_EQ(test, cm, VR_CRED_INC);
	KUNIT_EXPECT_EQ(test, vr_cred_mode_find("", &cm), -EINVAL);
}

/* ---- the unsafe variants, forced: what the sanitizers see ---- */

/*
 * grab, after exit: the walk starts at the tree the teardown left pointing
 * at freed mappings. A KASAN report every round, in the reader.
 */
static void pin_grab_walks_freed_mappings(struct kunit *test)
{
	struct pin_reader *pr = kunit_kzalloc(test, sizeof(*pr), GFP_KERNEL);
	struct task_struct *task;
	struct vr_pproc *pp;
	int i, seen = 0;

	if (!IS_ENABLED(CONFIG_KASAN))
		kunit_skip(test, "needs a KASAN kernel");
	KUNIT_ASSERT_NOT_NULL(test, pr);
	KUNIT_ASSERT_EQ(test, register_trace_error_report_end(uaf_probe, NULL), 0);
	pr_info("expected KASAN reports begin: 10 rounds of maps_mode grab\n");
	for (i = 0; i < 10; i++) {
		pp = fresh(test, "pg");
		pr->v = grabbed(test, pp);
		pr->pid = pp->pid;
		pr->mm = VR_MAPS_GRAB;
		init_completion(&pr->done);
		KUNIT_EXPECT_EQ(test, vr_pproc_exit(pp), 0);	/* tears down */
		atomic_set(&uaf_reports, 0);
		WRITE_ONCE(uaf_watch, NULL);
		task = kthread_run(pin_reader_fn, pr, "vr_grab_reader");
		if (!IS_ERR(task))
			wait_for_completion(&pr->done);
		vr_vmar_drop(pr->v);
		KUNIT_EXPECT_EQ(test, vr_pproc_reap(pp->pid), 0);
		vr_pproc_put(pp);
		if (IS_ERR(task) || !atomic_read(&uaf_reports))
			break;		/* one miss fails the case: stop there */
		seen++;
	}
	pr_info("expected KASAN reports end: %d of 10 rounds reported\n", seen);
	unregister_trace_error_report_end(uaf_probe, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, seen, 10);
}

/* plain, forced past the grace period: a KASAN report every round. */
static void cred_plain_reads_freed_credentials(struct kunit *test)
{
	struct cred_reader *cr = kunit_kzalloc(test, sizeof(*cr), GFP_KERNEL);
	int i, seen = 0;

	if (!IS_ENABLED(CONFIG_KASAN))
		kunit_skip(test, "needs a KASAN kernel");
	KUNIT_ASSERT_NOT_NULL(test, cr);
	KUNIT_ASSERT_EQ(test, register_trace_error_report_end(uaf_probe, NULL), 0);
	pr_info("expected KASAN reports begin: 10 rounds of cred_mode plain\n");
	for (i = 0; i < 10 && cred_round(test, cr, VR_CRED_PLAIN, true); i++)
		seen++;
	pr_info("expected KASAN reports end: %d of 10 rounds reported\n", seen);
	unregister_trace_error_report_end(uaf_probe, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, seen, 10);
}

/*
 * inc, forced: the reader's increment meets the count SETIDS took to zero.
 * refcount_t warns ("addition on 0; use-after-free") and saturates; the
 * grace period frees the credentials all the same, with a count: counted
 * in creds_freed_in_use every round. Needs no sanitizer.
 */
static void cred_inc_resurrects_a_dead_count(struct kunit *test)
{
	struct cred_reader *cr = kunit_kzalloc(test, sizeof(*cr), GFP_KERNEL);
	long in_use = stat(&vr_stats.creds_freed_in_use);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, cr);
	KUNIT_ASSERT_EQ(test, register_trace_error_report_end(uaf_probe, NULL), 0);
	pr_info("expected KASAN reports begin: 10 rounds of cred_mode inc (and refcount_t warnings)\n");
	for (i = 0; i < 10; i++)
		cred_round(test, cr, VR_CRED_INC, false);
	rcu_barrier();
	pr_info("expected KASAN reports end: cred_mode inc\n");
	unregister_trace_error_report_end(uaf_probe, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, stat(&vr_stats.creds_freed_in_use), in_use + 10);
}

/*
 * Suites by layer. The forced use-after-free has one of its own: the
 * kunitsafe row loads vmar_race with mode=fixed and expects that suite,
 * and only it, to fail.
 */
static struct kunit_case vr_registry_cases[] = {
	KUNIT_CASE(spawn_sets_identity),
	KUNIT_CASE(spawn_default_name),
	KUNIT_CASE(spawn_respects_max_procs),
	KUNIT_CASE(pid_not_reused_before_reap),
	KUNIT_CASE(spawn_abort_is_invisible),
	KUNIT_CASE(exit_makes_zombie),
	KUNIT_CASE(exit_twice_is_einval),
	KUNIT_CASE(reap_running_is_einval),
	KUNIT_CASE(reap_removes_pid),
	KUNIT_CASE(reap_unknown_is_esrch),
	KUNIT_CASE(owner_release_exits_running),
	KUNIT_CASE(stats_follow_lifecycle),
	{}
};

static struct kunit_case vr_vmar_cases[] = {
	KUNIT_CASE(map_accounts_size),
	KUNIT_CASE(map_rejects_bad_ranges),
	KUNIT_CASE(map_rejects_overlap),
	KUNIT_CASE(map_respects_max_maps),
	KUNIT_CASE(map_respects_max_pages),
	KUNIT_CASE(touch_counts_each_page_once),
	KUNIT_CASE(touch_splits_anon_and_file),
	KUNIT_CASE(touch_unmapped_is_enomem),
	KUNIT_CASE(unmap_punches_hole),
	KUNIT_CASE(unmap_trims_and_spans),
	KUNIT_CASE(unmap_spans_many_batches),
	KUNIT_CASE(unmap_split_respects_max_maps),
	KUNIT_CASE(vmar_outlives_exit_while_referenced),
	{}
};

static struct kunit_case vr_read_cases[] = {
	KUNIT_CASE(status_running_shows_vm_lines),
	KUNIT_CASE_PARAM(status_zombie_has_no_vm_lines, fixed_mode_gen_params),
	KUNIT_CASE(buggy_zombie_read_unwraps_none),
	KUNIT_CASE(trace_probe_follows_its_parameter),
	{}
};

static struct kunit_case vr_interleave_cases[] = {
	KUNIT_CASE(interleave_buggy_observes_none),
	KUNIT_CASE_PARAM(interleave_fixed_modes_serve_zombie, fixed_mode_gen_params),
	KUNIT_CASE_PARAM(interleave_reference_outlives_exit, ref_mode_gen_params),
	KUNIT_CASE(interleave_locked_modes_do_not_pause_locked),
	KUNIT_CASE(pause_points_reject_misuse),
	KUNIT_CASE(publish_then_reap_touches_nothing),
	{}
};

static struct kunit_case vr_uaf_cases[] = {
	KUNIT_CASE_PARAM(interleave_uaf_is_use_after_free, uaf_batch_gen_params),
	{}
};

#define VR_SUITE(suffix, cases)				\
static struct kunit_suite vr_##cases##_suite = {	\
	.name = "vmar_race_" #suffix,			\
	.init = vr_test_init,				\
	.exit = vr_test_exit,				\
	.test_cases = vr_##cases##_cases,		\
}

static struct kunit_case vr_lab_cases[] = {
	KUNIT_CASE(pin_upgrade_after_exit_reads_nothing),
	KUNIT_CASE(pin_upgrade_holds_mappings_through_exit),
	KUNIT_CASE(maps_mode_parameter_validates),
	KUNIT_CASE(setids_replaces_and_frees_old),
	KUNIT_CASE(cred_safe_modes_survive_replacement),
	KUNIT_CASE(cred_mode_parameter_validates),
	{}
};

/* The unsafe variants of the two later races, forced. */
static struct kunit_case vr_lab_unsafe_cases[] = {
	KUNIT_CASE(pin_grab_walks_freed_mappings),
	KUNIT_CASE(cred_plain_reads_freed_credentials),
	KUNIT_CASE(cred_inc_resurrects_a_dead_count),
	{}
};

VR_SUITE(registry, registry);
VR_SUITE(vmar, vmar);
VR_SUITE(read, read);
VR_SUITE(interleave, interleave);
VR_SUITE(uaf, uaf);
VR_SUITE(lab, lab);
VR_SUITE(lab_unsafe, lab_unsafe);

kunit_test_suites(&vr_registry_suite, &vr_vmar_suite, &vr_read_suite,
		  &vr_interleave_suite, &vr_uaf_suite, &vr_lab_suite,
		  &vr_lab_unsafe_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for vmar_race");
MODULE_IMPORT_NS(VR_NS);
