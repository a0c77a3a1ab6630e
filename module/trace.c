// SPDX-License-Identifier: GPL-2.0
/*
 * The module's trace events (trace/vmar_race.h) are defined here, with one
 * option for test VMs: trace_dump_on_report. When a KASAN report or a
 * WARN() ends (the kernel's error_report_end event), or the console prints
 * a KCSAN report
 * naming a vr_ function (KCSAN has no error_report_end on 6.1), tracing
 * stops at once, so the events leading to the report stay in the buffer,
 * and a work item prints the buffer to the console, as
 * ftrace_dump_on_oops does for an oops.
 */
#include "vmar_race.h"

#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <trace/events/error_report.h>

#define CREATE_TRACE_POINTS
#include "trace/vmar_race.h"

static bool vr_trace_dump_on_report;
module_param_named(trace_dump_on_report, vr_trace_dump_on_report, bool, 0644);
MODULE_PARM_DESC(trace_dump_on_report,
		 "after a KASAN or KCSAN report or a warning, stop tracing and print the trace buffer to the console (default N)");

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

void vr_trace_init(void)
{
	/* Without tracepoints (-ENOSYS) there is nothing to dump anyway. */
	if (register_trace_error_report_end(vr_trace_report_end, NULL))
		pr_debug("error_report_end not available: no trace dump on reports\n");
	if (!IS_ENABLED(CONFIG_KCSAN))
		return;
	for_each_kernel_tracepoint(vr_find_console_tp, NULL);
	if (vr_console_tp &&
	    tracepoint_probe_register(vr_console_tp, vr_trace_console, NULL))
		vr_console_tp = NULL;
}

void vr_trace_exit(void)
{
	unregister_trace_error_report_end(vr_trace_report_end, NULL);
	if (vr_console_tp)
		tracepoint_probe_unregister(vr_console_tp, vr_trace_console, NULL);
	tracepoint_synchronize_unregister();
	irq_work_sync(&vr_trace_dump_iw);
	flush_work(&vr_trace_dump_work);
}
