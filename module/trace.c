// SPDX-License-Identifier: GPL-2.0
/*
 * The module's trace events (trace/vmar_race.h) are defined here, with one
 * option for test VMs: trace_dump_on_report. When a KASAN report or a
 * WARN() ends (the kernel's error_report_end event), or the console prints
 * a KCSAN report
 * naming a vr_ function (KCSAN has no error_report_end on 6.1), tracing
 * stops at once, so the events leading to the report stay in the buffer,
 * and a work item prints the buffer to the console, as
 * ftrace_dump_on_oops does for an oops. The probes are registered only
 * while the option is on (and the module initialised).
 */
#include "vmar_race.h"

#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <trace/events/error_report.h>

#define CREATE_TRACE_POINTS
#include "trace/vmar_race.h"

static bool vr_trace_dump_on_report;

static atomic_t vr_trace_dumped = ATOMIC_INIT(0);

static void vr_trace_dump(struct work_struct *work)
{
	ftrace_dump(DUMP_ALL);
}

static DECLARE_WORK(vr_trace_dump_work, vr_trace_dump);

/*
 * The report may come from anywhere, a workqueue's or a runqueue's lock
 * held, or NMI: only an irq_work may be queued there, and it queues the
 * work that dumps.
 */
static void vr_trace_dump_kick(struct irq_work *iw)
{
	schedule_work(&vr_trace_dump_work);
}

static DEFINE_IRQ_WORK(vr_trace_dump_iw, vr_trace_dump_kick);

/* Any context: stop tracing, dump later. */
static void vr_trace_stop_and_dump(void)
{
	if (!READ_ONCE(vr_trace_dump_on_report) || atomic_xchg(&vr_trace_dumped, 1))
		return;		/* once per load: the first report's history */
	tracing_off();
	irq_work_queue(&vr_trace_dump_iw);
}

static void vr_trace_report_end(void *data, enum error_detector det,
				unsigned long id)
{
	if (det == ERROR_DETECTOR_KASAN || det == ERROR_DETECTOR_WARN)
		vr_trace_stop_and_dump();
}

/* KCSAN's title line names both racing functions. */
static void vr_trace_console(void *data, const char *text, size_t len)
{
	static const char kcsan[] = "BUG: KCSAN: data-race in ";
	const char *p = strnstr(text, kcsan, len);

	if (p && strnstr(p, " vr_", len - (p - text)))
		vr_trace_stop_and_dump();
}

/* The console tracepoint is not exported: find it, as kasan_test does. */
static struct tracepoint *vr_console_tp;

static void vr_find_console_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "console"))
		vr_console_tp = tp;
}

static DEFINE_MUTEX(vr_trace_probe_lock);	/* protects the three below */
static bool vr_trace_ready;		/* between vr_trace_init() and exit */
static bool vr_trace_probes_on;
static struct tracepoint *vr_console_tp_on;

/* Probes registered iff ready and asked for; 0 or why they could not be. */
static int vr_trace_probes_sync(void)
{
	bool want = vr_trace_ready && READ_ONCE(vr_trace_dump_on_report);
	int ret;

	lockdep_assert_held(&vr_trace_probe_lock);
	if (want == vr_trace_probes_on)
		return 0;
	if (!want) {
		unregister_trace_error_report_end(vr_trace_report_end, NULL);
		if (vr_console_tp_on)
			tracepoint_probe_unregister(vr_console_tp_on, vr_trace_console, NULL);
		vr_console_tp_on = NULL;
		vr_trace_probes_on = false;
		tracepoint_synchronize_unregister();
		return 0;
	}
	ret = register_trace_error_report_end(vr_trace_report_end, NULL);
	if (ret)
		return ret;
	if (vr_console_tp &&
	    !tracepoint_probe_register(vr_console_tp, vr_trace_console, NULL))
		vr_console_tp_on = vr_console_tp;
	vr_trace_probes_on = true;
	return 0;
}

/* A write that cannot register the probes fails and changes nothing. */
static int vr_trace_dump_set(const char *val, const struct kernel_param *kp)
{
	bool on, old;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	mutex_lock(&vr_trace_probe_lock);
	old = vr_trace_dump_on_report;
	WRITE_ONCE(vr_trace_dump_on_report, on);
	ret = vr_trace_probes_sync();
	if (ret)
		WRITE_ONCE(vr_trace_dump_on_report, old);
	mutex_unlock(&vr_trace_probe_lock);
	return ret;
}

static const struct kernel_param_ops vr_trace_dump_ops = {
	.set = vr_trace_dump_set,
	.get = param_get_bool,
};
module_param_cb(trace_dump_on_report, &vr_trace_dump_ops, &vr_trace_dump_on_report, 0644);
MODULE_PARM_DESC(trace_dump_on_report,
		 "after a KASAN or KCSAN report or a warning, stop tracing and print the trace buffer to the console (default N)");

/**
 * vr_trace_init() - Load: find the console tracepoint (KCSAN kernels) and
 * register the probes if trace_dump_on_report is on.
 *
 * Context: process context, no lock held; may sleep. Takes
 * vr_trace_probe_lock. Warns, and goes on without the probes, if they
 * cannot be registered.
 */
void vr_trace_init(void)
{
	int ret;

	if (IS_ENABLED(CONFIG_KCSAN))
		for_each_kernel_tracepoint(vr_find_console_tp, NULL);
	mutex_lock(&vr_trace_probe_lock);
	vr_trace_ready = true;
	ret = vr_trace_probes_sync();
	mutex_unlock(&vr_trace_probe_lock);
	if (ret)
		pr_warn("trace_dump_on_report: error_report_end probe not registered (%d): no trace dump on reports\n",
			ret);
}

/**
 * vr_trace_exit() - Unload, or a failed load: unregister the probes, wait
 * for a dump.
 *
 * Context: process context, no lock held; may sleep. Takes
 * vr_trace_probe_lock.
 */
void vr_trace_exit(void)
{
	mutex_lock(&vr_trace_probe_lock);
	vr_trace_ready = false;
	vr_trace_probes_sync();
	mutex_unlock(&vr_trace_probe_lock);
	irq_work_sync(&vr_trace_dump_iw);
	flush_work(&vr_trace_dump_work);
}
