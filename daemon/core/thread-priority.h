/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scheduling priority of the encode workers: a frame waiting for a CPU
 * behind other work is latency the viewer sees. */
#ifndef HOSTENC_CORE_THREAD_PRIORITY_H
#define HOSTENC_CORE_THREAD_PRIORITY_H

/** How far an encode worker is raised above normal threads. */
enum he_thread_priority {
	HE_PRIORITY_HIGH = 0,  /**< nice HE_PRIORITY_NICE (the default) */
	HE_PRIORITY_NORMAL,    /**< left as the process is */
	HE_PRIORITY_REALTIME,  /**< SCHED_RR at priority 1, above every normal thread */
};

/** The nice value HE_PRIORITY_HIGH asks for. */
#define HE_PRIORITY_NICE (-10)

/**
 * Raise the calling thread to @p p (threads it starts afterwards, such as
 * the encoder library's, inherit it). When the system does not allow it
 * (no CAP_SYS_NICE, RLIMIT_NICE or RLIMIT_RTPRIO too low), realtime falls
 * back to nice, and the first refusal in the process is logged once; the
 * thread then goes on at the priority it has.
 *
 * @return the priority the thread now has.
 */
enum he_thread_priority he_thread_priority_raise(enum he_thread_priority p);

/** "high", "normal", "realtime". */
const char *he_thread_priority_name(enum he_thread_priority p);

/** Parse a name of he_thread_priority_name(); -1 when unknown. */
int he_thread_priority_from_name(const char *name);

#endif
