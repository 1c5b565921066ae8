/*
 * ktest suite `sched`: kernel threads run and end in round-robin order,
 * take turns through wait queues, keep their callee-saved registers
 * across switches, sleep at least as long as asked, leave no memory
 * behind once reaped, and sit on stacks whose guard is unmapped; the
 * preemption hooks switch after a slice and wake sleepers.
 *
 * Every case joins each thread it creates, failed or not, so the next
 * case starts with only "boot" and "idle". The boot thread (the one
 * running ktest) takes part: it blocks in thread_join() and its sleeps.
 *
 * And ktest=sched_bench (only when named): the switch's cost in
 * nanoseconds of clock_ns(), for docs/performance.md.
 */
#include <duet/arch.h>
#include <duet/clock.h>
#include <duet/fault.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/thread.h>
#include <duet/timer.h>
#include <kernel/proc_test.h>
#include <kernel/kstack.h>
#include <mm/buddy.h>
#include <mm/kmalloc.h>
#include <mm/kmap.h>
#include <mm/vm.h>

#define MSEC 1000000ull

/* --- round robin ------------------------------------------------------------------------ */

#define RR_THREADS 3
#define RR_TURNS   4

static int rr_log[RR_THREADS * RR_TURNS], rr_logged;
static int rr_ended[RR_THREADS], rr_ends;

static int rr_worker(void *arg)
{
    int me = (int)(uintptr_t)arg;

    for (int i = 0; i < RR_TURNS; i++) {
        rr_log[rr_logged++] = me;
        sched_yield();
    }
    rr_ended[rr_ends++] = me;
    return 100 + me;
}

static void threads_run_and_end_in_round_robin_order(struct ktest *t)
{
    struct thread *th[RR_THREADS];

    rr_logged = rr_ends = 0;
    for (int i = 0; i < RR_THREADS; i++) {
        th[i] = thread_create("rr", rr_worker, (void *)(uintptr_t)i);
        KASSERT_TRUE(t, th[i] != NULL);
    }
    for (int i = 0; i < RR_THREADS; i++)
        KEXPECT_EQ(t, thread_join(th[i]), 100 + i);
    KASSERT_EQ(t, rr_logged, RR_THREADS * RR_TURNS);
    for (int n = 0; n < rr_logged; n++)
        KEXPECT_EQ(t, rr_log[n], n % RR_THREADS);
    KASSERT_EQ(t, rr_ends, RR_THREADS);
    for (int i = 0; i < RR_THREADS; i++)
        KEXPECT_EQ(t, rr_ended[i], i);
}

/* --- states and exit --------------------------------------------------------------------- */

static struct wait_queue state_wq = WAIT_QUEUE_INIT("state");
static bool state_go;

static int state_worker(void *arg)
{
    wait_event(&state_wq, state_go);
    thread_exit(42);
}

static void a_thread_goes_through_each_state(struct ktest *t)
{
    struct thread *w;

    state_go = false;
    KEXPECT_STREQ(t, thread_state_name(thread_current()->state), "running");
    w = thread_create("states", state_worker, NULL);
    KASSERT_TRUE(t, w != NULL);
    KEXPECT_STREQ(t, thread_state_name(w->state), "runnable");
    sched_yield(); /* it runs and blocks on state_wq */
    KEXPECT_STREQ(t, thread_state_name(w->state), "blocked");
    state_go = true;
    wake_up_one(&state_wq);
    KEXPECT_STREQ(t, thread_state_name(w->state), "runnable");
    sched_yield(); /* it runs and exits */
    KEXPECT_STREQ(t, thread_state_name(w->state), "dead");
    KEXPECT_EQ(t, thread_join(w), 42); /* thread_exit's status, not fn's */
}

/* --- wait queues ---------------------------------------------------------------------------- */

#define PING_ROUNDS 100

static struct wait_queue ping_wq = WAIT_QUEUE_INIT("ping"), pong_wq = WAIT_QUEUE_INIT("pong");
static int turn; /* 0: ping's, 1: pong's */
static char pp_log[2 * PING_ROUNDS];
static int pp_logged;

static int pinger(void *arg)
{
    int me = (int)(uintptr_t)arg;
    struct wait_queue *mine = me ? &pong_wq : &ping_wq, *theirs = me ? &ping_wq : &pong_wq;

    for (int i = 0; i < PING_ROUNDS; i++) {
        wait_event(mine, turn == me);
        pp_log[pp_logged++] = me ? 'o' : 'i';
        turn = !me;
        wake_up_one(theirs);
    }
    return 0;
}

static void ping_pong_through_wait_queues(struct ktest *t)
{
    struct thread *pong, *ping;
    int out_of_turn = 0;

    turn = 0;
    pp_logged = 0;
    /* pong first: it must block until ping has had its turn. */
    pong = thread_create("pong", pinger, (void *)1);
    ping = thread_create("ping", pinger, (void *)0);
    KASSERT_TRUE(t, ping && pong);
    KEXPECT_EQ(t, thread_join(ping), 0);
    KEXPECT_EQ(t, thread_join(pong), 0);
    KASSERT_EQ(t, pp_logged, 2 * PING_ROUNDS);
    for (int n = 0; n < pp_logged; n++)
        out_of_turn += pp_log[n] != (n % 2 ? 'o' : 'i');
    KEXPECT_EQ(t, out_of_turn, 0);
}

static struct wait_queue many_wq = WAIT_QUEUE_INIT("many");
static bool many_go;
static int many_woke;

static int many_waiter(void *arg)
{
    wait_event(&many_wq, many_go);
    many_woke++;
    return 0;
}

static void wake_up_one_wakes_one_and_all_wakes_all(struct ktest *t)
{
    struct thread *w[3];

    many_go = false;
    many_woke = 0;
    for (int i = 0; i < 3; i++) {
        w[i] = thread_create("waiter", many_waiter, NULL);
        KASSERT_TRUE(t, w[i] != NULL);
    }
    sched_yield(); /* all three block */
    for (int i = 0; i < 3; i++)
        KEXPECT_STREQ(t, thread_state_name(w[i]->state), "blocked");
    many_go = true;
    wake_up_one(&many_wq);
    sched_yield();
    KEXPECT_EQ(t, many_woke, 1);
    /* The condition holds for the other two, but nobody woke them. */
    KEXPECT_STREQ(t, thread_state_name(w[1]->state), "blocked");
    KEXPECT_STREQ(t, thread_state_name(w[2]->state), "blocked");
    wake_up_all(&many_wq);
    for (int i = 0; i < 3; i++)
        thread_join(w[i]);
    KEXPECT_EQ(t, many_woke, 3);
}

/* The wake-up came before the waiter ever waited: it must not sleep at all. */
static void a_condition_already_true_does_not_sleep(struct ktest *t)
{
    struct thread *w;

    many_go = true;
    many_woke = 0;
    w = thread_create("late", many_waiter, NULL);
    KASSERT_TRUE(t, w != NULL);
    wake_up_all(&many_wq); /* nobody there yet */
    sched_yield();         /* it runs, finds many_go, ends */
    KEXPECT_STREQ(t, thread_state_name(w->state), "dead");
    thread_join(w);
    KEXPECT_EQ(t, many_woke, 1);
}

/* --- thread_interrupt: how a kill reaches a blocked process ----------------------------------- */

static struct wait_queue never_wq = WAIT_QUEUE_INIT("never");
static bool never;

static int interruptible_waiter(void *arg)
{
    return wait_event_interruptible(&never_wq, never);
}

static int long_sleeper(void *arg)
{
    return thread_sleep_ns(10ull * 1000 * 1000 * 1000);
}

/* A plain wait_event is not interruptible: woken, it tests again and sleeps on. */
static int plain_waiter(void *arg)
{
    wait_event(&never_wq, never);
    return 7;
}

static void an_interrupt_ends_an_interruptible_wait(struct ktest *t)
{
    struct thread *w;

    never = false;
    w = thread_create("waiter", interruptible_waiter, NULL);
    KASSERT_TRUE(t, w != NULL);
    sched_yield();
    KEXPECT_STREQ(t, thread_state_name(w->state), "blocked");
    thread_interrupt(w);
    KEXPECT_EQ(t, thread_join(w), -EINTR);
    /* It left the queue: a wake-up now finds nobody to wake. */
    KEXPECT_TRUE(t, never_wq.waiters.head == NULL);
}

static void an_interrupt_ends_a_sleep_early(struct ktest *t)
{
    u64 start = clock_ns();
    struct thread *s = thread_create("sleeper", long_sleeper, NULL);

    KASSERT_TRUE(t, s != NULL);
    sched_yield();
    KEXPECT_STREQ(t, thread_state_name(s->state), "blocked");
    thread_interrupt(s);
    KEXPECT_EQ(t, thread_join(s), -EINTR);
    KEXPECT_TRUE(t, clock_ns() - start < 5ull * 1000 * 1000 * 1000);
}

static void an_interrupt_does_not_end_a_plain_wait(struct ktest *t)
{
    struct thread *w;

    never = false;
    w = thread_create("plain", plain_waiter, NULL);
    KASSERT_TRUE(t, w != NULL);
    sched_yield();
    thread_interrupt(w);
    sched_yield(); /* it runs, finds the condition false, sleeps again */
    KEXPECT_STREQ(t, thread_state_name(w->state), "blocked");
    never = true;
    wake_up_all(&never_wq);
    KEXPECT_EQ(t, thread_join(w), 7);
}

/* --- registers across switches ------------------------------------------------------------ */

static __noinline u64 mix(u64 x)
{
    return x * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

/*
 * Twelve values live across every yield: more than either arch's
 * callee-saved registers, so the compiler keeps some there and spills
 * the rest; a switch that loses one changes the sum. 0 when all held.
 */
static int locals_across_yields(void *arg)
{
    u64 a = mix((uintptr_t)arg), b = mix(a), c = mix(b), d = mix(c), e = mix(d), f = mix(e);
    u64 g = mix(f), h = mix(g), i = mix(h), j = mix(i), k = mix(j), l = mix(k);
    u64 want = a + b + c + d + e + f + g + h + i + j + k + l + 8ull * 78;

    for (int n = 0; n < 8; n++) {
        sched_yield();
        a += 1, b += 2, c += 3, d += 4, e += 5, f += 6;
        g += 7, h += 8, i += 9, j += 10, k += 11, l += 12;
    }
    return a + b + c + d + e + f + g + h + i + j + k + l == want ? 0 : 1;
}

static void yield_once(void)
{
    sched_yield();
}

static int asm_checker(void *arg)
{
    return (int)arch_callee_saved_check(yield_once);
}

static void callee_saved_registers_survive_a_switch(struct ktest *t)
{
    struct thread *checker = thread_create("checker", asm_checker, NULL);
    struct thread *l1 = thread_create("locals", locals_across_yields, (void *)1);
    struct thread *l2 = thread_create("locals", locals_across_yields, (void *)2);

    KASSERT_TRUE(t, checker && l1 && l2);
    /* The boot thread's own registers, while the others run in between. */
    KEXPECT_EQ(t, arch_callee_saved_check(yield_once), 0ull);
    KEXPECT_EQ(t, locals_across_yields((void *)3), 0);
    /* A bit per register that changed (arch/<arch>/switch.S says which). */
    KEXPECT_EQ(t, thread_join(checker), 0);
    KEXPECT_EQ(t, thread_join(l1), 0);
    KEXPECT_EQ(t, thread_join(l2), 0);
}

/* --- sleeping --------------------------------------------------------------------------------- */

static void sleep_lasts_at_least_its_time(struct ktest *t)
{
    u64 start = clock_ns(), slept;

    thread_sleep_ns(10 * MSEC); /* nothing else runs: idle waits for the tick */
    slept = clock_ns() - start;
    KEXPECT_GE(t, slept, 10 * MSEC);
    KEXPECT_LT(t, slept, 1000 * MSEC);
}

static int wake_order[3], woken;

static int sleeper(void *arg)
{
    u64 ms = (uintptr_t)arg, start = clock_ns();

    thread_sleep_ns(ms * MSEC);
    wake_order[woken++] = (int)ms;
    return clock_ns() - start >= ms * MSEC ? 0 : 1;
}

static void sleepers_wake_in_order(struct ktest *t, const int ms[3])
{
    struct thread *s[3];

    woken = 0;
    for (int i = 0; i < 3; i++) {
        s[i] = thread_create("sleeper", sleeper, (void *)(uintptr_t)ms[i]);
        KASSERT_TRUE(t, s[i] != NULL);
    }
    for (int i = 0; i < 3; i++)
        KEXPECT_EQ(t, thread_join(s[i]), 0);
    KASSERT_EQ(t, woken, 3);
    KEXPECT_LT(t, wake_order[0], wake_order[1]);
    KEXPECT_LT(t, wake_order[1], wake_order[2]);
}

static void sleepers_wake_in_deadline_order(struct ktest *t)
{
    static const int ms[3] = { 30, 10, 20 };

    sleepers_wake_in_order(t, ms);
}

/* Due within one 10 ms tick, so the tick that wakes them finds more
 * than one due: earliest deadline first all the same. */
static void sleepers_due_at_one_tick_wake_earliest_first(struct ktest *t)
{
    static const int ms[3] = { 2, 6, 4 };

    sleepers_wake_in_order(t, ms);
}

/* --- memory ---------------------------------------------------------------------------------- */

#define MANY_THREADS 1000
#define BATCH        50

static int return_arg(void *arg)
{
    return (int)(uintptr_t)arg;
}

static void a_thousand_threads_leave_nothing_behind(struct ktest *t)
{
    u64 free0 = buddy_free_pages_count(), slabs0 = kmalloc_slab_count();
    unsigned stacks0 = kstack_count();
    struct thread *batch[BATCH];
    int wrong = 0;

    for (int n = 0; n < MANY_THREADS; n += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            batch[i] = thread_create("many", return_arg, (void *)(uintptr_t)(n + i));
            KASSERT_TRUE(t, batch[i] != NULL);
        }
        KEXPECT_EQ(t, kstack_count(), stacks0 + BATCH);
        for (int i = 0; i < BATCH; i++)
            wrong += thread_join(batch[i]) != n + i;
    }
    KEXPECT_EQ(t, wrong, 0);
    KEXPECT_EQ(t, kstack_count(), stacks0);
    KEXPECT_EQ(t, kmalloc_slab_count(), slabs0);
    KEXPECT_EQ(t, buddy_free_pages_count(), free0);
}

static void read_word(void *addr)
{
    (void)*(volatile const u64 *)addr;
}

static void the_guard_under_a_stack_is_unmapped(struct ktest *t)
{
    struct thread *w = thread_create("guarded", return_arg, NULL);
    struct vm_translation tr;
    struct fault_info info;
    vaddr_t guard, bottom;

    KASSERT_TRUE(t, w != NULL);
    KEXPECT_EQ(t, w->stack_top - w->stack_bottom, KSTACK_SIZE);
    /* AArch64's overflow check needs the stack on a boundary of twice its size. */
    KEXPECT_EQ(t, w->stack_bottom % (2 * KSTACK_SIZE), 0ul);
    for (vaddr_t va = w->stack_bottom; va < w->stack_top; va += PAGE_SIZE) {
        KEXPECT_VM(t, vm_translate(&kernel_space, va, &tr), VM_OK);
        KEXPECT_EQ(t, tr.pa, w->stack_pa + (va - w->stack_bottom));
    }
    for (guard = w->stack_bottom - KSTACK_GUARD_SIZE; guard < w->stack_bottom; guard += PAGE_SIZE)
        KEXPECT_VM(t, vm_translate(&kernel_space, guard, &tr), VM_ERR_NOT_MAPPED);
    /* And the CPU agrees: the word just under the stack faults. */
    guard = w->stack_bottom - sizeof(u64);
    KEXPECT_TRUE(t, fault_expect(read_word, (void *)guard, &info));
    KEXPECT_EQ(t, info.addr, guard);
    KEXPECT_FALSE(t, info.protection);
    KEXPECT_TRUE(t, thread_of_stack(guard) == w);
    bottom = w->stack_bottom;
    thread_join(w);
    /* Reaped: the stack is unmapped too. */
    KEXPECT_VM(t, vm_translate(&kernel_space, bottom, &tr), VM_ERR_NOT_MAPPED);
}

/* --- the preemption hooks ---------------------------------------------------------------------- */

static bool other_ran;

static int set_other_ran(void *arg)
{
    other_ran = true;
    return 0;
}

/* As the timer will: sched_tick() on each tick, then the interrupt's way out. */
static void tick_and_return(void)
{
    sched_tick();
    sched_preempt_if_needed();
}

static void a_spent_slice_preempts(struct ktest *t)
{
    struct thread *w;
    unsigned long flags;

    /* Masked, so that a real tick cannot count too; each "interrupt" below
     * is ours. Yielding with nothing else runnable starts a fresh slice. */
    flags = arch_irq_save();
    sched_yield();
    other_ran = false;
    w = thread_create("other", set_other_ran, NULL);
    if (!w) {
        arch_irq_restore(flags);
        KASSERT_TRUE(t, w != NULL);
    }
    for (int i = 0; i < SCHED_SLICE_TICKS - 1; i++)
        tick_and_return();
    KEXPECT_FALSE(t, other_ran); /* slice not spent yet: no switch */
    tick_and_return();
    KEXPECT_TRUE(t, other_ran); /* spent: the other thread had its turn */
    arch_irq_restore(flags);
    thread_join(w);
}

static void a_tick_wakes_a_sleeper_whose_time_has_come(struct ktest *t)
{
    struct thread *s = thread_create("sleeper", sleeper, (void *)1);
    unsigned long flags;
    u64 until;

    KASSERT_TRUE(t, s != NULL);
    woken = 0;
    sched_yield(); /* it starts its 1 ms sleep */
    KEXPECT_STREQ(t, thread_state_name(s->state), "blocked");
    /* Masked and never yielding: idle cannot poll, only our tick wakes it. */
    flags = arch_irq_save();
    until = clock_ns() + 2 * MSEC;
    while (clock_ns() < until)
        arch_cpu_relax();
    KEXPECT_STREQ(t, thread_state_name(s->state), "blocked");
    sched_tick();
    KEXPECT_STREQ(t, thread_state_name(s->state), "runnable");
    arch_irq_restore(flags);
    KEXPECT_EQ(t, thread_join(s), 0);
}

static u64 ran_at;

static int note_when(void *arg)
{
    ran_at = clock_ns();
    return 0;
}

/*
 * A program that computes for 300 ms without a system call is preempted
 * when its slice is spent (irq_exit on the way back to user mode): a
 * thread made runnable before it started runs while it still runs, not
 * after it ended.
 */
static void a_computing_program_is_preempted(struct ktest *t)
{
    struct thread *w;
    u64 ended;

    if (!timer_ticking()) {
        ktest_skip(t, "no tick");
        return;
    }
    ran_at = 0;
    w = thread_create("while-spin", note_when, NULL);
    KASSERT_TRUE(t, w != NULL);
    RUN(t, 0, "spin");
    ended = clock_ns();
    KEXPECT_EQ(t, thread_join(w), 0);
    KEXPECT_TRUE(t, ran_at != 0 && ran_at < ended);
}

static const struct ktest_case sched_cases[] = {
    /* First: a switch that loses a register breaks everything after it. */
    KTEST_CASE(callee_saved_registers_survive_a_switch),
    KTEST_CASE(threads_run_and_end_in_round_robin_order),
    KTEST_CASE(a_thread_goes_through_each_state),
    KTEST_CASE(ping_pong_through_wait_queues),
    KTEST_CASE(wake_up_one_wakes_one_and_all_wakes_all),
    KTEST_CASE(a_condition_already_true_does_not_sleep),
    KTEST_CASE(an_interrupt_ends_an_interruptible_wait),
    KTEST_CASE(an_interrupt_ends_a_sleep_early),
    KTEST_CASE(an_interrupt_does_not_end_a_plain_wait),
    KTEST_CASE(sleep_lasts_at_least_its_time),
    KTEST_CASE(sleepers_wake_in_deadline_order),
    KTEST_CASE(sleepers_due_at_one_tick_wake_earliest_first),
    KTEST_CASE(a_thousand_threads_leave_nothing_behind),
    KTEST_CASE(the_guard_under_a_stack_is_unmapped),
    KTEST_CASE(a_spent_slice_preempts),
    KTEST_CASE(a_tick_wakes_a_sleeper_whose_time_has_come),
    KTEST_CASE(a_computing_program_is_preempted),
    { 0 },
};
KTEST_SUITE(sched, sched_cases);

/* --- ktest=sched_bench ------------------------------------------------------------------------ */

/*
 * Each figure is measured in BENCH_BATCHES batches of BENCH_ROUNDS round
 * trips; the fastest batch and the median are printed. Under TCG the
 * guest's clock runs while the host deschedules QEMU, so on a busy host
 * the fastest batch is the one to compare.
 */
#define BENCH_BATCHES 21
#define BENCH_ROUNDS  1000

static bool bench_stop;
static u64 batch_ns[BENCH_BATCHES];

static void bench_report(const char *what)
{
    /* Insertion sort: 21 numbers. */
    for (int i = 1; i < BENCH_BATCHES; i++)
        for (int j = i; j > 0 && batch_ns[j - 1] > batch_ns[j]; j--) {
            u64 x = batch_ns[j];
            batch_ns[j] = batch_ns[j - 1];
            batch_ns[j - 1] = x;
        }
    printf("# sched_bench: %s: %s: fastest %llu ns, median %llu ns\n", arch_name(), what,
           (unsigned long long)(batch_ns[0] / BENCH_ROUNDS),
           (unsigned long long)(batch_ns[BENCH_BATCHES / 2] / BENCH_ROUNDS));
}

static int yielder(void *arg)
{
    while (!READ_ONCE(bench_stop))
        sched_yield();
    return 0;
}

/* Two threads yielding to each other: a round trip is two switches. */
static void bench_yield_round_trip(struct ktest *t)
{
    struct thread *w;

    bench_stop = false;
    w = thread_create("yielder", yielder, NULL);
    KASSERT_TRUE(t, w != NULL);
    for (int i = 0; i < BENCH_ROUNDS; i++) /* warm the caches and the TLB */
        sched_yield();
    for (int b = 0; b < BENCH_BATCHES; b++) {
        u64 start = clock_ns();
        for (int i = 0; i < BENCH_ROUNDS; i++)
            sched_yield();
        batch_ns[b] = clock_ns() - start;
    }
    bench_stop = true;
    thread_join(w);
    bench_report("yield round trip (2 switches)");
    KEXPECT_GT(t, batch_ns[0], 0ull);
}

static struct wait_queue bench_mine = WAIT_QUEUE_INIT("bench"),
                         bench_theirs = WAIT_QUEUE_INIT("bench partner");
static int bench_turn; /* 0: the benchmark's, 1: the partner's */

static int partner(void *arg)
{
    for (;;) {
        wait_event(&bench_theirs, bench_turn == 1 || bench_stop);
        if (bench_stop)
            return 0;
        bench_turn = 0;
        wake_up_one(&bench_mine);
    }
}

/* A round trip through two wait queues: each side blocks and is woken once. */
static void bench_wait_queue_round_trip(struct ktest *t)
{
    struct thread *w;

    bench_stop = false;
    bench_turn = 0;
    w = thread_create("partner", partner, NULL);
    KASSERT_TRUE(t, w != NULL);
    for (int b = 0; b < BENCH_BATCHES; b++) {
        u64 start = clock_ns();
        for (int i = 0; i < BENCH_ROUNDS; i++) {
            bench_turn = 1;
            wake_up_one(&bench_theirs);
            wait_event(&bench_mine, bench_turn == 0);
        }
        batch_ns[b] = clock_ns() - start;
    }
    bench_stop = true;
    wake_up_one(&bench_theirs);
    thread_join(w);
    bench_report("wait-queue round trip (2 sleeps, 2 wake-ups)");
    KEXPECT_GT(t, batch_ns[0], 0ull);
}

static void bench_create_and_join(struct ktest *t)
{
    for (int b = 0; b < BENCH_BATCHES; b++) {
        u64 start = clock_ns();
        for (int i = 0; i < BENCH_ROUNDS; i++) {
            struct thread *w = thread_create("many", return_arg, NULL);
            KASSERT_TRUE(t, w != NULL);
            thread_join(w);
        }
        batch_ns[b] = clock_ns() - start;
    }
    bench_report("thread create + run + exit + join");
    KEXPECT_GT(t, batch_ns[0], 0ull);
}

static const struct ktest_case sched_bench_cases[] = {
    KTEST_CASE(bench_yield_round_trip),
    KTEST_CASE(bench_wait_queue_round_trip),
    KTEST_CASE(bench_create_and_join),
    { 0 },
};
KTEST_SUITE_NAMED_ONLY(sched_bench, sched_bench_cases, NULL);
