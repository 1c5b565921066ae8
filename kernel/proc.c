/*
 * Processes (kernel/proc.h, docs/processes.md).
 *
 * Each process is a kernel thread (include/duet/thread.h) that spends its
 * life in user mode and enters the kernel on its own stack, whose top
 * holds its user registers (include/duet/arch.h). The scheduler switches
 * address spaces with threads.
 *
 * System calls and page faults run with interrupts on. The process table
 * has a lock that masks them, proc_lock: the console's interrupt reads
 * the table to end the foreground group (proc_interrupt), and must never
 * see a slot half made. Everything else about a process changes only on
 * its own thread or its parent's, and the kernel is not preempted (only
 * user mode is: kernel/irq.c).
 *
 * A process ends in proc_exit(), on its own thread: it gives its address
 * space back, hands its children to the kernel, becomes a ZOMBIE and
 * ends its thread. Whoever waits for it (its parent's waitpid, the
 * monitor's `run`, or the kernel's reaper for orphans) joins the thread,
 * which frees its stack, and frees the slot.
 */
#include <duet/arch.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/monitor.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/spinlock.h>
#include <duet/string.h>
#include <duet/syscall.h>
#include <duet/thread.h>
#include <duet/trap.h>
#include <duet/user_programs.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/ptdump.h>

#define PROC_NAME_MAX PROCINFO_NAME_MAX
#define PROC_HOW_MAX  96
#define PROC_HISTORY  16 /* ended processes the monitor's `ps` remembers */
#define PROC_PID_MAX  0x7fffffff

enum proc_state { PROC_UNUSED, PROC_LIVE, PROC_ZOMBIE };

struct proc {
    enum proc_state state;
    int pid, pgid;
    char name[PROC_NAME_MAX];
    struct proc *parent;     /* NULL: the kernel (the monitor, or the reaper for orphans) */
    bool kernel_waits;       /* proc_run waits for it: the reaper leaves it alone */
    struct aspace *as;       /* LIVE: its address space */
    struct thread *thread;   /* until it is freed */
    struct user_entry entry; /* where a new program starts */
    int status;              /* once a ZOMBIE */
    char how[PROC_HOW_MAX];  /* "exited", "killed: ..." */
    /* Set by kill or Ctrl-C, acted on at its next return to user mode. */
    bool killed, by_ctrl_c;
    int kill_status;
    char kill_how[PROC_HOW_MAX];
};

/* What `ps` remembers of an ended process. */
struct proc_record {
    int pid;
    char name[PROC_NAME_MAX];
    int status;
    char how[PROC_HOW_MAX];
};

static struct proc procs[PROC_MAX];
static struct spinlock proc_lock = SPINLOCK_INIT("proc");
static int next_pid = 1;
/* The group Ctrl-C ends; 0: none, and Ctrl-C is input. */
static int foreground_pgid;
/* Every process's end wakes all waiters, who look for their own child. */
static struct wait_queue child_exit = WAIT_QUEUE_INIT("wait");
static struct thread *reaper;
static struct proc_record history[PROC_HISTORY];
static unsigned ended;

static struct proc *current_proc(void)
{
    return thread_current()->proc;
}

int proc_current_pid(void)
{
    struct proc *p = current_proc();

    return p ? p->pid : 0;
}

struct aspace *proc_current_aspace(void)
{
    struct proc *p = current_proc();

    return p ? p->as : NULL;
}

static struct proc *proc_find(long pid)
{
    for (struct proc *p = procs; p < procs + PROC_MAX; p++)
        if (p->state != PROC_UNUSED && p->pid == pid)
            return p;
    return NULL;
}

/* --- life and death ---------------------------------------------------------------------- */

/* Change p's state under the lock, for proc_interrupt's sake. */
static void set_state(struct proc *p, enum proc_state state)
{
    unsigned long flags = spin_lock_irqsave(&proc_lock);

    p->state = state;
    spin_unlock_irqrestore(&proc_lock, flags);
}

static struct proc *proc_alloc(const char *name, struct proc *parent)
{
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    struct proc *found = NULL;

    for (struct proc *p = procs; p < procs + PROC_MAX && !found; p++) {
        if (p->state != PROC_UNUSED)
            continue;
        *p = (struct proc){ .state = PROC_LIVE, .pid = next_pid++, .parent = parent };
        p->pgid = parent ? parent->pgid : p->pid;
        strlcpy(p->name, name, sizeof(p->name));
        found = p;
    }
    spin_unlock_irqrestore(&proc_lock, flags);
    return found;
}

/* A ZOMBIE's last trace: join its thread (its stack goes), remember it for `ps`. */
static void proc_free(struct proc *p)
{
    struct proc_record *r = &history[ended++ % PROC_HISTORY];

    thread_join(p->thread);
    r->pid = p->pid;
    r->status = p->status;
    strlcpy(r->name, p->name, sizeof(r->name));
    strlcpy(r->how, p->how, sizeof(r->how));
    set_state(p, PROC_UNUSED);
}

/* An orphan that ended: no parent will wait for it, so the reaper does. */
static bool is_ended_orphan(const struct proc *p)
{
    return p->state == PROC_ZOMBIE && !p->parent && !p->kernel_waits;
}

static bool orphan_ended(void)
{
    for (struct proc *p = procs; p < procs + PROC_MAX; p++)
        if (is_ended_orphan(p))
            return true;
    return false;
}

static int reaper_loop(void *arg)
{
    for (;;) {
        wait_event(&child_exit, orphan_ended());
        for (struct proc *p = procs; p < procs + PROC_MAX; p++)
            if (is_ended_orphan(p))
                proc_free(p);
    }
    return 0;
}

/* The first thing a new process's thread does: enter its program. */
static int proc_start(void *arg)
{
    struct proc *p = arg;

    proc_user_return(); /* killed before it ever ran */
    arch_user_enter(p->thread->stack_top, &p->entry);
}

/* A forked child's first thing: return from fork, with 0. */
static int proc_fork_start(void *arg)
{
    struct proc *p = arg;

    proc_user_return();
    arch_user_resume(p->thread->stack_top);
}

/*
 * Give p a thread that starts with fn(p) in p's address space; the
 * process owns the address space reference it holds. Until the caller
 * blocks or returns to user mode the thread cannot run (one CPU, no
 * kernel preemption), so the caller may still set up its stack.
 */
static int proc_start_thread(struct proc *p, thread_fn *fn)
{
    if (!reaper)
        return -ENOMEM; /* threads are off (a lab handout's stub allocator) */
    p->thread = thread_create(p->name, fn, p);
    if (!p->thread)
        return -ENOMEM;
    p->thread->proc = p;
    p->thread->aspace = p->as;
    return 0;
}

void proc_exit(int status, const char *how)
{
    struct proc *p = current_proc();
    struct aspace *as = p ? p->as : NULL;

    if (!p)
        panic("proc_exit: %s is not a process", thread_current()->name);
    p->status = status;
    strlcpy(p->how, how, sizeof(p->how));
    /* Off the address space before its last reference goes. */
    aspace_switch(NULL);
    thread_current()->aspace = NULL;
    p->as = NULL;
    aspace_put(as);
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    for (struct proc *c = procs; c < procs + PROC_MAX; c++)
        if (c->state != PROC_UNUSED && c->parent == p)
            c->parent = NULL; /* the kernel's now: the reaper waits for it */
    p->state = PROC_ZOMBIE;
    spin_unlock_irqrestore(&proc_lock, flags);
    wake_up_all(&child_exit);
    thread_exit(status);
}

/* Lock held: mark p to end with `status`; it ends at its next return to
 * user mode, or at once if it is blocked in an interruptible wait. A
 * process whose thread is not made yet ends as soon as it first runs. */
static void proc_mark_killed(struct proc *p, int status, const char *how, bool ctrl_c)
{
    if (p->state != PROC_LIVE || p->killed)
        return;
    p->kill_status = status;
    strlcpy(p->kill_how, how, sizeof(p->kill_how));
    p->by_ctrl_c = ctrl_c;
    p->killed = true;
    if (p->thread)
        thread_interrupt(p->thread);
}

void proc_user_return(void)
{
    struct proc *p = current_proc();

    if (!p || !p->killed)
        return;
    if (p->by_ctrl_c)
        printf("^C\n*** %s (pid %d) interrupted: status %d ***\n", p->name, p->pid, p->kill_status);
    proc_exit(p->kill_status, p->kill_how);
}

bool proc_interrupt(void)
{
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    bool any = false;

    for (struct proc *p = procs; foreground_pgid && p < procs + PROC_MAX; p++) {
        if (p->state == PROC_LIVE && p->pgid == foreground_pgid) {
            proc_mark_killed(p, PROC_STATUS_INT, "killed: interrupted (Ctrl-C)", true);
            any = true;
        }
    }
    spin_unlock_irqrestore(&proc_lock, flags);
    return any;
}

/* --- the kernel's way in: the monitor and the tests --------------------------------------- */

void proc_init(void)
{
    console_on_ctrl_c(proc_interrupt);
    reaper = thread_create("reaper", reaper_loop, NULL);
}

/*
 * Load `image` and start it as a process of the kernel's (no parent). The
 * monitor waits for one it runs in the foreground (`waited`); the reaper
 * frees one in the background when it ends. 0 with *out set, or -errno
 * with the reason printed and nothing left.
 */
static int proc_spawn(const char *name, const void *image, size_t size, int argc,
                      const char *const argv[], bool waited, struct proc **out)
{
    struct exec_result ex;
    struct proc *p;
    char why[96];
    int err;

    if (current_proc())
        panic("proc_run: called from process %s; processes start others with fork",
              current_proc()->name);
    err = exec_load(image, size, argc, argv, &ex, why, sizeof(why));
    if (err) {
        printf("run: %s: %s\n", name, why);
        return err;
    }
    p = proc_alloc(name, NULL);
    if (!p) {
        printf("run: %s: %d processes exist already\n", name, PROC_MAX);
        aspace_put(ex.as);
        return -EAGAIN;
    }
    p->as = ex.as;
    p->entry = ex.entry;
    p->kernel_waits = waited;
    err = proc_start_thread(p, proc_start);
    if (err) {
        printf("run: %s: no memory for its thread\n", name);
        aspace_put(ex.as);
        set_state(p, PROC_UNUSED);
        return err;
    }
    *out = p;
    return 0;
}

int proc_run_image(const char *name, const void *image, size_t size, int argc,
                   const char *const argv[], int *status)
{
    struct proc *p;
    int err = proc_spawn(name, image, size, argc, argv, true, &p);

    if (err)
        return err;
    /* It is the console's foreground until it ends: Ctrl-C is for it. */
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    int saved_foreground = foreground_pgid;
    foreground_pgid = p->pgid;
    spin_unlock_irqrestore(&proc_lock, flags);
    wait_event(&child_exit, p->state == PROC_ZOMBIE);
    flags = spin_lock_irqsave(&proc_lock);
    foreground_pgid = saved_foreground;
    spin_unlock_irqrestore(&proc_lock, flags);
    *status = p->status;
    proc_free(p);
    return 0;
}

int proc_run_background(const char *name, int argc, const char *const argv[])
{
    const struct user_program *prog = user_program_find(name);
    struct proc *p;
    int err;

    if (!prog) {
        printf("run: no program called '%s' (`run` lists them)\n", name);
        return -ENOENT;
    }
    err = proc_spawn(name, prog->image, prog->size, argc, argv, false, &p);
    return err ? err : p->pid;
}

unsigned proc_spaces(struct proc_space *out, unsigned max)
{
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    unsigned n = 0;

    for (struct proc *p = procs; p < procs + PROC_MAX && n < max; p++) {
        if (p->state != PROC_LIVE || !p->as)
            continue;
        out[n] = (struct proc_space){ .pid = p->pid, .as = p->as };
        strlcpy(out[n].name, p->name, sizeof(out[n].name));
        aspace_get(p->as);
        n++;
    }
    spin_unlock_irqrestore(&proc_lock, flags);
    return n;
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

/* --- the system calls --------------------------------------------------------------------- */

long proc_fork(void)
{
    struct proc *parent = current_proc();
    struct proc *child = proc_alloc(parent->name, parent);
    int err;

    if (!child)
        return -EAGAIN;
    child->as = aspace_fork(parent->as);
    if (!child->as) {
        set_state(child, PROC_UNUSED);
        return -ENOMEM;
    }
    err = proc_start_thread(child, proc_fork_start);
    if (err) {
        aspace_put(child->as);
        set_state(child, PROC_UNUSED);
        return err;
    }
    arch_user_frame_fork(child->thread->stack_top, thread_current()->stack_top);
    arch_context_fork(&child->thread->context);
    return child->pid;
}

int proc_exec_load(const char *name, int argc, const char *const argv[], struct exec_result *ex)
{
    const struct user_program *prog = user_program_find(name);
    char why[96];

    if (!prog)
        return -ENOENT;
    return exec_load(prog->image, prog->size, argc, argv, ex, why, sizeof(why));
}

void proc_exec_commit(const char *name, const struct exec_result *ex)
{
    struct proc *p = current_proc();
    struct thread *self = thread_current();
    struct aspace *old = p->as;

    p->as = ex->as;
    self->aspace = ex->as;
    aspace_switch(ex->as);
    aspace_put(old);
    strlcpy(p->name, name, sizeof(p->name));
    strlcpy(self->name, name, sizeof(self->name));
    arch_user_enter(self->stack_top, &ex->entry);
}

/* A child of p that pid selects: what waitpid looks for. */
static bool is_waited_child(const struct proc *c, const struct proc *p, long pid)
{
    return c->state != PROC_UNUSED && c->parent == p && (pid == -1 || c->pid == pid);
}

static bool child_ended(const struct proc *p, long pid)
{
    for (const struct proc *c = procs; c < procs + PROC_MAX; c++)
        if (is_waited_child(c, p, pid) && c->state == PROC_ZOMBIE)
            return true;
    return false;
}

long proc_wait(long pid, int options, int *status)
{
    struct proc *p = current_proc();

    if (pid == 0 || pid < -1 || (options & ~WNOHANG))
        return -EINVAL;
    for (;;) {
        bool any = false;
        for (struct proc *c = procs; c < procs + PROC_MAX; c++) {
            if (!is_waited_child(c, p, pid))
                continue;
            any = true;
            if (c->state == PROC_ZOMBIE) {
                int child_pid = c->pid;
                *status = c->status;
                proc_free(c);
                return child_pid;
            }
        }
        if (!any)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        int err = wait_event_interruptible(&child_exit, child_ended(p, pid));
        if (err)
            return err;
    }
}

int proc_getppid(void)
{
    struct proc *p = current_proc();

    return p && p->parent ? p->parent->pid : 0;
}

int proc_kill(long pid, int sig)
{
    char how[PROC_HOW_MAX];
    int err = 0;

    if (sig != SIGINT && sig != SIGKILL && sig != SIGTERM)
        return -EINVAL;
    snprintf(how, sizeof(how), "killed: signal %d from pid %d", sig, proc_current_pid());
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    struct proc *p = pid > 0 ? proc_find(pid) : NULL;
    if (p && p->state == PROC_LIVE)
        proc_mark_killed(p, 128 + sig, how, false);
    else
        err = -ESRCH;
    spin_unlock_irqrestore(&proc_lock, flags);
    return err;
}

int proc_setpgid(long pid, long pgid)
{
    struct proc *self = current_proc();
    struct proc *p = pid == 0 ? self : proc_find(pid);

    if (pid < 0 || pgid < 0)
        return -EINVAL;
    /* The caller itself or a child of its, as POSIX has it. */
    if (!p || p->state != PROC_LIVE || (p != self && p->parent != self))
        return -ESRCH;
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    p->pgid = pgid ? (int)pgid : p->pid;
    spin_unlock_irqrestore(&proc_lock, flags);
    return 0;
}

int proc_set_foreground(long pgid)
{
    bool exists = pgid == 0;

    if (pgid < 0)
        return -EINVAL;
    unsigned long flags = spin_lock_irqsave(&proc_lock);
    for (struct proc *p = procs; p < procs + PROC_MAX && !exists; p++)
        exists = p->state == PROC_LIVE && p->pgid == pgid;
    if (exists)
        foreground_pgid = (int)pgid;
    spin_unlock_irqrestore(&proc_lock, flags);
    return exists ? 0 : -ESRCH;
}

long proc_list(struct procinfo *info, long n)
{
    long count = 0;

    for (struct proc *p = procs; p < procs + PROC_MAX; p++) {
        if (p->state == PROC_UNUSED)
            continue;
        if (count < n) {
            struct procinfo *i = &info[count];
            *i = (struct procinfo){
                .pid = p->pid,
                .ppid = p->parent ? p->parent->pid : 0,
                .pgid = p->pgid,
                .mapped_bytes = p->as ? aspace_mapped_bytes(p->as) : 0,
            };
            if (p->state == PROC_ZOMBIE)
                i->state = 'Z';
            else
                i->state = p->thread->state == THREAD_BLOCKED ? 'S' : 'R';
            strlcpy(i->name, p->name, sizeof(i->name));
        }
        count++;
    }
    return count;
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
    struct proc *p = current_proc();
    char how[PROC_HOW_MAX];
    int status;

    if (!p)
        panic("user_fault: a fault from user mode, but no process runs (pc 0x%lx)",
              (unsigned long)info->pc);
    /* A page touched for the first time, or a shared one written: map it
     * and retry. Interrupts on meanwhile, as for a system call: copying a
     * 2 MiB page takes a while. */
    int err = -EFAULT;
    if (info->memory) {
        arch_irq_enable();
        err = aspace_fault(p->as, info->addr, info->access);
        (void)arch_irq_save();
    }
    if (err == 0) {
        proc_user_return();
        return;
    }
    /* The access was fine, but no page was left for it: the process that
     * asked pays, never the kernel (status 137, as Linux's OOM killer). */
    if (err == -ENOMEM) {
        printf("\n*** %s (pid %d) out of memory: no page for its %s at 0x%016lx ***\n", p->name,
               p->pid, fault_access_name(info->access), (unsigned long)info->addr);
        printf("*** %s (pid %d) killed: status %d ***\n", p->name, p->pid, PROC_STATUS_KILL);
        snprintf(how, sizeof(how), "killed: out of memory at 0x%lx", (unsigned long)info->addr);
        proc_exit(PROC_STATUS_KILL, how);
    }

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
    /* `run prog args &`: in the background; the monitor goes on, `ps`
     * lists it, `kill` ends it, the reaper frees it when it ends. */
    if (argc > 2 && !strcmp(argv[argc - 1], "&")) {
        int pid = proc_run_background(argv[1], argc - 2, (const char *const *)argv + 1);
        if (pid < 0)
            return 1;
        printf("[%d] %s\n", pid, argv[1]);
        return 0;
    }
    if (proc_run(argv[1], argc - 1, (const char *const *)argv + 1, &status))
        return 1;
    printf("run: %s exited with status %d\n", argv[1], status);
    return 0;
}
MONITOR_COMMAND(run, "run a user program: run <program> [arguments] [&]", cmd_run);

/* `kill [-signal] <pid>`: end a process, as kill(2) does. */
static int cmd_kill(int argc, char **argv)
{
    u64 sig = SIGTERM, pid = 0;
    bool ok = argc == 2 || (argc == 3 && argv[1][0] == '-' && parse_u64(argv[1] + 1, &sig, false));

    if (!ok || !parse_u64(argv[argc - 1], &pid, false) || pid == 0 || pid > PROC_PID_MAX) {
        printf("usage: kill [-2|-9|-15] <pid>\n");
        return 1;
    }
    int err = proc_kill((long)pid, sig > 64 ? -1 : (int)sig);
    if (err == -ESRCH)
        printf("kill: no process %lu\n", (unsigned long)pid);
    else if (err)
        printf("kill: signal %lu is not one of 2, 9 and 15\n", (unsigned long)sig);
    return err ? 1 : 0;
}
MONITOR_COMMAND(kill, "end a process: kill [-2|-9|-15] <pid>", cmd_kill);

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
    unsigned first = ended > PROC_HISTORY ? ended - PROC_HISTORY : 0;

    printf("  %5s  %-16s %6s  %s\n", "pid", "program", "status", "how it ended");
    for (unsigned i = first; i < ended; i++) {
        const struct proc_record *r = &history[i % PROC_HISTORY];
        printf("  %5d  %-16s %6d  %s\n", r->pid, r->name, r->status, r->how);
    }
    for (const struct proc *p = procs; p < procs + PROC_MAX; p++) {
        if (p->state == PROC_LIVE)
            printf("  %5d  %-16s %6s  (running, parent %d)\n", p->pid, p->name, "-",
                   p->parent ? p->parent->pid : 0);
        else if (p->state == PROC_ZOMBIE)
            printf("  %5d  %-16s %6d  %s (not waited for yet)\n", p->pid, p->name, p->status,
                   p->how);
    }
    return 0;
}
MONITOR_COMMAND(ps, "list the processes: those that ended, with their statuses, then the live",
                cmd_ps);
