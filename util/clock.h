/*
 * clock.h: the one monotonic clock, for durations and deadlines (never
 * for dates: it does not jump when the wall clock is set).
 */
#ifndef DM_CLOCK_H
#define DM_CLOCK_H

/* Seconds since an arbitrary start, with nanosecond resolution. */
double clk_seconds(void);

/* Whole milliseconds, for poll() deadlines. */
long long clk_millis(void);

#endif
