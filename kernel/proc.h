/*
 * Processes (docs/processes.md): a user program in an address space of
 * its own, run by a kernel thread of its own. The monitor's `run`, the
 * test suites and the system calls fork, exec, waitpid, exit and kill
 * are built on this.
 *
 * A process is LIVE from its creation until it exits or is killed; it is
 * then a ZOMBIE, holding only its exit status and its thread's stack,
 * until its parent waits for it. A process whose parent ends first is
 * given to the kernel (ppid 0), whose reaper thread waits for it.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <duet/compiler.h>
#include <duet/types.h>

/* Exit statuses of a killed program, as a Unix shell shows them (128 + signal). */
#define PROC_STATUS_SEGV 139 /* a memory access it may not make (SIGSEGV) */
#define PROC_STATUS_ILL  132 /* an instruction it may not run (SIGILL) */
#define PROC_STATUS_INT  130 /* interrupted from the console, Ctrl-C (SIGINT) */
#define PROC_STATUS_KILL 137 /* killed (SIGKILL): by kill(2), or out of memory */

/* At most this many processes, zombies included: fork says -EAGAIN beyond. */
#define PROC_MAX 64

struct aspace;
struct user_entry;

/* Take Ctrl-C from the console and start the reaper of orphans; kmain
 * calls it once, after sched_init() and console_irq_init(). */
void proc_init(void);

/*
 * Run the program the kernel carries as `name` with argv[0..argc-1]
 * (argv[0] is the name it sees) as a new process in the console's
 * foreground, and wait for it to end. Returns 0 with its exit status in
 * *status, or -ENOENT (no such program), -ENOEXEC (a bad ELF), -E2BIG,
 * -ENOMEM or -EAGAIN when it could not start; the reason is printed.
 */
int proc_run(const char *name, int argc, const char *const argv[], int *status);
/* The same for an ELF image anywhere in kernel memory. */
int proc_run_image(const char *name, const void *image, size_t size, int argc,
                   const char *const argv[], int *status);

/* Start the program `name` in the background, a process of the kernel's
 * that the reaper frees when it ends: its pid, or -errno (printed). */
int proc_run_background(const char *name, int argc, const char *const argv[]);

/* A live process's address space, with a reference for the caller. */
struct proc_space {
    int pid;
    char name[24];
    struct aspace *as;
};
/* Up to max live processes' spaces (memdump); the caller puts each `as`. */
unsigned proc_spaces(struct proc_space *out, unsigned max);

/* The running process's pid and address space (0 and NULL in a kernel thread). */
int proc_current_pid(void);
struct aspace *proc_current_aspace(void);

/* The system calls on processes (kernel/syscall.c checks their pointers). */
long proc_fork(void);
/*
 * exec in two steps, so the caller can free the arguments' copies in
 * between: load the program `name` into a new address space (0, or
 * -ENOENT, -ENOEXEC, -E2BIG, -ENOMEM with nothing changed), then make it
 * the caller's program, giving the old one up, and enter it.
 */
struct exec_result;
int proc_exec_load(const char *name, int argc, const char *const argv[], struct exec_result *ex);
__noreturn void proc_exec_commit(const char *name, const struct exec_result *ex);
/* Wait for a child (pid -1: any) to end and free it: its pid with its
 * status in *status, 0 (WNOHANG and none ended yet), -ECHILD (no such
 * child), -EINVAL, or -EINTR (the caller was killed meanwhile). */
long proc_wait(long pid, int options, int *status);
int proc_getppid(void);
int proc_kill(long pid, int sig);
int proc_setpgid(long pid, long pgid);
int proc_set_foreground(long pgid);
/* Fill info[0..n-1] (struct procinfo, include/duet/syscall.h) with the
 * processes that exist; returns how many there are, maybe more than n. */
struct procinfo;
long proc_list(struct procinfo *info, long n);

/* End the running process with `status`; `how` says why, for `ps`. */
__noreturn void proc_exit(int status, const char *how);

/*
 * Ctrl-C on the console (lib/console.c, from its interrupt): end every
 * process of the foreground group. False when there is none, and the byte
 * is input like any other. A process ends at its next return to user
 * mode (proc_user_return) or, blocked in the kernel, when it wakes.
 */
bool proc_interrupt(void);
/* On every way back to user mode (kernel/irq.c, kernel/syscall.c, a
 * retried fault): end the process if it was killed. */
void proc_user_return(void);

#endif
