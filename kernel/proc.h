/*
 * Running user programs (docs/user-mode.md). One program runs at a time,
 * to completion: proc_run() enters it and returns once it has exited or
 * been killed for a fault. The monitor's `run` and `ps` and the `user`
 * test suite are built on it.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <duet/compiler.h>
#include <duet/types.h>

/* Exit statuses of a killed program, as a Unix shell shows them (128 + signal). */
#define PROC_STATUS_SEGV 139 /* a memory access it may not make (SIGSEGV) */
#define PROC_STATUS_ILL  132 /* an instruction it may not run (SIGILL) */
#define PROC_STATUS_INT  130 /* interrupted from the console, Ctrl-C (SIGINT) */

struct aspace;

/*
 * Run the program the kernel carries as `name` with argv[0..argc-1]
 * (argv[0] is the name it sees). Returns 0 with its exit status in
 * *status, or -ENOENT (no such program), -ENOEXEC (a bad ELF), -E2BIG or
 * -ENOMEM when it could not start; the reason is printed.
 */
int proc_run(const char *name, int argc, const char *const argv[], int *status);
/* The same for an ELF image anywhere in kernel memory. */
int proc_run_image(const char *name, const void *image, size_t size, int argc,
                   const char *const argv[], int *status);

/* The running program's pid and address space (0 and NULL when none runs). */
int proc_current_pid(void);
struct aspace *proc_current_aspace(void);

/* End the running program with `status`; `how` says why, for `ps`. */
__noreturn void proc_exit(int status, const char *how);

/*
 * Ctrl-C on the console (lib/console.c, from its interrupt): mark the
 * running program to be ended. False when none runs, and the byte is
 * input like any other. The program ends at its next return to user
 * mode from an interrupt (proc_user_return), within a tick.
 */
bool proc_interrupt(void);
/* On the way back to user mode from an interrupt (kernel/irq.c): end the
 * program if it was interrupted. */
void proc_user_return(void);

#endif
