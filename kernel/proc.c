/*
 * Processes (kernel/proc.h): one user program at a time, run to
 * completion on the kernel stack of whoever called proc_run().
 *
 * proc_run() saves its own context with arch_setjmp and drops to user
 * mode; traps from the program run on the stack below that point. When
 * the program exits or is killed, proc_exit() jumps back to the saved
 * context, abandoning the trap frames, and proc_run() tears the address
 * space down. A user fault never reaches the kernel's own fault report:
 * the program gets a report of its own, and the kernel goes on.
 */
#include <duet/arch.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <duet/trap.h>
#include <duet/user_programs.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/ptdump.h>

#define PROC_NAME_MAX 24
#define PROC_HOW_MAX  96
#define PROC_HISTORY  16 /* finished programs `ps` remembers */

struct proc {
    int pid;
    char name[PROC_NAME_MAX];
    struct aspace *as;
    int status;
    char how[PROC_HOW_MAX];     /* "exited", "killed: ..." */
    struct arch_jmp_buf resume; /* where proc_exit() goes back to */
    bool interrupted;           /* Ctrl-C came: end it on its way back to user mode */
};

static struct proc *current;
static int next_pid = 1;
static struct proc history[PROC_HISTORY];
static unsigned finished;

int proc_current_pid(void)
{
    return current ? current->pid : 0;
}

struct aspace *proc_current_aspace(void)
{
    return current ? current->as : NULL;
}

void proc_exit(int status, const char *how)
{
    struct proc *p = current;

    if (!p)
        panic("proc_exit: no user program is running");
    p->status = status;
    strlcpy(p->how, how, sizeof(p->how));
    arch_longjmp(&p->resume, 1);
}

bool proc_interrupt(void)
{
    if (!current)
        return false;
    current->interrupted = true;
    return true;
}

void proc_user_return(void)
{
    if (current && current->interrupted) {
        printf("^C\n*** %s (pid %d) interrupted: status %d ***\n", current->name, current->pid,
               PROC_STATUS_INT);
        proc_exit(PROC_STATUS_INT, "killed: interrupted (Ctrl-C)");
    }
}

int proc_run_image(const char *name, const void *image, size_t size, int argc,
                   const char *const argv[], int *status)
{
    struct proc p = { .pid = next_pid++ };
    struct exec_result ex;
    char why[96];

    if (current)
        panic("proc_run: %s started while %s (pid %d) runs", name, current->name, current->pid);
    strlcpy(p.name, name, sizeof(p.name));
    int err = exec_load(image, size, argc, argv, &ex, why, sizeof(why));
    if (err) {
        printf("run: %s: %s\n", name, why);
        return err;
    }

    p.as = ex.as;
    current = &p;
    /* The program runs with interrupts let in (arch_user_enter's flags);
     * the trap that ends it comes back here with them masked, and
     * arch_longjmp does not restore them: restore the caller's state. */
    unsigned long irq = arch_irq_save();
    aspace_switch(p.as);
    if (arch_setjmp(&p.resume) == 0)
        arch_user_enter(&ex.entry);

    /* Back from proc_exit(): the program is over. */
    arch_irq_restore(irq);
    aspace_switch(NULL);
    current = NULL;
    aspace_put(p.as);
    p.as = NULL;
    history[finished++ % PROC_HISTORY] = p;
    *status = p.status;
    return 0;
}

int proc_run(const char *name, int argc, const char *const argv[], int *status)
{
    const struct user_program *prog = user_program_find(name);

    if (!prog) {
        printf("run: no program called '%s' (`run` lists them)\n", name);
        return -ENOENT;
    }
    return proc_run_image(name, prog->image, prog->size, argc, argv, status);
}

/* --- user faults ------------------------------------------------------------------------ */

/* What an address tells about a bad access, in words; "" when nothing. */
static const char *address_hint(const struct fault_info *info)
{
    if (info->addr < NULL_GUARD_END)
        return " (a NULL pointer)";
    if (info->addr >= USER_STACK_GUARD && info->addr < USER_STACK_BOTTOM)
        return " (the guard page below the stack: a stack overflow)";
    if (info->addr >= USER_END)
        return " (a kernel address)";
    if (info->protection && info->access == FAULT_WRITE)
        return " (the page is read-only)";
    if (info->protection && info->access == FAULT_EXEC)
        return " (the page is not executable)";
    return "";
}

void user_fault(const struct fault_info *info)
{
    struct proc *p = current;
    char how[PROC_HOW_MAX];
    int status;

    if (!p)
        panic("user_fault: a fault from user mode, but no program runs (pc 0x%lx)",
              (unsigned long)info->pc);
    /* A heap page touched for the first time: map it and retry. */
    if (info->memory && aspace_fault(p->as, info->addr, info->access) == 0)
        return;

    printf("\n*** user fault: %s (pid %d): %s ***\n", p->name, p->pid, info->what);
    if (info->memory) {
        printf("  %s at 0x%016lx: %s%s\n", fault_access_name(info->access),
               (unsigned long)info->addr, info->protection ? "not allowed" : "not mapped",
               address_hint(info));
        snprintf(how, sizeof(how), "killed: %s at 0x%lx%s", fault_access_name(info->access),
                 (unsigned long)info->addr, address_hint(info));
        status = PROC_STATUS_SEGV;
    } else {
        snprintf(how, sizeof(how), "killed: %s", info->what);
        status = PROC_STATUS_ILL;
    }
    printf("  pc 0x%016lx  sp 0x%016lx\n", (unsigned long)info->pc, (unsigned long)info->sp);
    printf("*** %s (pid %d) killed: status %d ***\n", p->name, p->pid, status);
    proc_exit(status, how);
}

/* --- monitor commands -------------------------------------------------------------------- */

static int cmd_run(int argc, char **argv)
{
    int status;

    if (argc < 2) {
        printf("usage: run <program> [arguments]; the programs:\n");
        for (unsigned long i = 0; i < user_program_count; i++)
            printf("  %s\n", user_programs[i].name);
        return 1;
    }
    if (proc_run(argv[1], argc - 1, (const char *const *)argv + 1, &status))
        return 1;
    printf("run: %s exited with status %d\n", argv[1], status);
    return 0;
}
MONITOR_COMMAND(run, "run a user program: run <program> [arguments]", cmd_run);

/* `uptdump <program> [args]`: load a program without running it and show its mappings. */
static int cmd_uptdump(int argc, char **argv)
{
    const struct user_program *prog = argc >= 2 ? user_program_find(argv[1]) : NULL;
    struct exec_result ex;
    char why[96];

    if (!prog) {
        printf("usage: uptdump <program> [arguments] (`run` lists the programs)\n");
        return 1;
    }
    if (exec_load(prog->image, prog->size, argc - 1, (const char *const *)argv + 1, &ex, why,
                  sizeof(why))) {
        printf("uptdump: %s: %s\n", argv[1], why);
        return 1;
    }
    printf("%s, loaded and not started: entry 0x%lx, sp 0x%lx, heap from 0x%lx\n", argv[1],
           (unsigned long)ex.entry.pc, (unsigned long)ex.entry.sp,
           (unsigned long)ex.as->heap_start);
    ptdump(&ex.as->vm);
    aspace_put(ex.as);
    return 0;
}
MONITOR_COMMAND(uptdump, "print a user program's address space: uptdump <program> [args]",
                cmd_uptdump);

static int cmd_ps(int argc, char **argv)
{
    unsigned first = finished > PROC_HISTORY ? finished - PROC_HISTORY : 0;

    printf("  %5s  %-16s %6s  %s\n", "pid", "program", "status", "how it ended");
    for (unsigned i = first; i < finished; i++) {
        const struct proc *p = &history[i % PROC_HISTORY];
        printf("  %5d  %-16s %6d  %s\n", p->pid, p->name, p->status, p->how);
    }
    return 0;
}
MONITOR_COMMAND(ps, "list the user programs that ran, with their exit statuses", cmd_ps);
