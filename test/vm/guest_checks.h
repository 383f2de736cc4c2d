/* SPDX-License-Identifier: MIT */
/* The guest programs' checks, printed TAP-like ("ok N - what") for
 * test/vm/run.sh, which counts them. */
#ifndef VMTEST_GUEST_CHECKS_H
#define VMTEST_GUEST_CHECKS_H

/* Print one check's outcome; returns ok. */
int __attribute__((format(printf, 2, 3))) check(int ok, const char *fmt, ...);
/* Print "# N checks, M failed"; the exit status: 1 if any failed. */
int checks_done(void);

#endif /* VMTEST_GUEST_CHECKS_H */
