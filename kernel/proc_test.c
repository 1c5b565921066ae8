/*
 * ktest suite `user`: the user programs (user/programs/) run on this
 * machine, and their exit statuses come back. Each misbehaving program is
 * killed with the status of its fault while the kernel goes on; after
 * every program the buddy allocator has exactly the pages it had before,
 * so an address space leaks nothing. tests/test_user.py checks what the
 * programs and the fault reports print.
 */
#include <duet/errno.h>
#include <duet/ktest.h>
#include <duet/string.h>
#include <duet/syscall.h>
#include <duet/trap.h>
#include <duet/user_programs.h>
#include <kernel/proc.h>
#include <mm/buddy.h>
#include <mm/elf.h>
#include <mm/kmalloc.h>

/* Run argv[0] with argv; check the status and that no page leaked. */
static void expect_run(struct ktest *t, int argc, const char *const argv[], int want)
{
    u64 before = buddy_free_pages_count();
    int status = -1;

    KASSERT_ERRNO(t, proc_run(argv[0], argc, argv, &status), 0);
    if (status != want)
        ktest_fail(t, __FILE__, __LINE__, "%s exited with status %d, expected %d", argv[0], status,
                   want);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

#define RUN(t, want, ...)                                   \
    do {                                                    \
        const char *const _argv[] = { __VA_ARGS__ };        \
        expect_run(t, (int)ARRAY_SIZE(_argv), _argv, want); \
    } while (0)

static void hello_exits_0(struct ktest *t)
{
    RUN(t, 0, "hello");
}

static void exit_statuses_come_back(struct ktest *t)
{
    RUN(t, 42, "status", "42");
    RUN(t, 0, "status", "0");
    RUN(t, 255, "status", "255");
}

static void arguments_arrive(struct ktest *t)
{
    RUN(t, 0, "args", "one", "two words", "three");
}

static void brk_grows_and_shrinks(struct ktest *t)
{
    RUN(t, 0, "brk");
}

static void bad_pointers_to_write_return_efault(struct ktest *t)
{
    RUN(t, 0, "badwrite");
}

static void writing_its_text_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_write_text");
}

static void executing_its_stack_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_exec_stack");
}

static void reading_the_kernel_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_read_kernel");
}

static void a_null_pointer_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_null");
}

static void running_off_its_stack_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_stack_overflow");
}

static void a_privileged_instruction_kills_it(struct ktest *t)
{
    /* x86_64 `hlt` raises #GP, which is also how x86 reports some bad
     * memory accesses; either way the program must die, not the kernel. */
    u64 before = buddy_free_pages_count();
    const char *const argv[] = { "fault_privileged" };
    int status = -1;

    KASSERT_ERRNO(t, proc_run(argv[0], 1, argv, &status), 0);
    KEXPECT_TRUE(t, status == PROC_STATUS_ILL || status == PROC_STATUS_SEGV);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void the_next_program_runs_normally(struct ktest *t)
{
    RUN(t, PROC_STATUS_SEGV, "fault_null");
    RUN(t, 0, "hello");
}

static void an_unknown_program_is_refused(struct ktest *t)
{
    int status;

    KEXPECT_ERRNO(t, proc_run("nosuchprogram", 1, (const char *const[]){ "x" }, &status), -ENOENT);
}

static void a_bad_elf_is_refused_and_nothing_is_mapped(struct ktest *t)
{
    const struct user_program *hello = user_program_find("hello");
    const char *const argv[] = { "hello" };
    int status = -1;

    KASSERT_TRUE(t, hello != NULL);
    u8 *copy = kmalloc(hello->size);
    KASSERT_TRUE(t, copy != NULL);
    memcpy(copy, hello->image, hello->size);
    ((Elf64_Ehdr *)copy)->e_machine ^= 1; /* the other arch, or nonsense */

    u64 before = buddy_free_pages_count();
    KEXPECT_ERRNO(t, proc_run_image("bad-machine", copy, hello->size, 1, argv, &status), -ENOEXEC);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    KEXPECT_ERRNO(t, proc_run_image("cut-short", copy, 40, 1, argv, &status), -ENOEXEC);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
    kfree(copy);
}

static void too_many_arguments_are_refused(struct ktest *t)
{
    const char *argv[40];
    int status;

    for (unsigned i = 0; i < ARRAY_SIZE(argv); i++)
        argv[i] = "args";
    u64 before = buddy_free_pages_count();
    KEXPECT_ERRNO(t, proc_run("args", (int)ARRAY_SIZE(argv), argv, &status), -E2BIG);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void an_unknown_system_call_returns_enosys(struct ktest *t)
{
    const u64 args[6] = { 0 };

    KEXPECT_ERRNO(t, syscall_dispatch(SYS_COUNT, args), -ENOSYS);
    KEXPECT_ERRNO(t, syscall_dispatch(~0ULL, args), -ENOSYS);
}

static const struct ktest_case user_cases[] = {
    KTEST_CASE(hello_exits_0),
    KTEST_CASE(exit_statuses_come_back),
    KTEST_CASE(arguments_arrive),
    KTEST_CASE(brk_grows_and_shrinks),
    KTEST_CASE(bad_pointers_to_write_return_efault),
    KTEST_CASE(writing_its_text_kills_it),
    KTEST_CASE(executing_its_stack_kills_it),
    KTEST_CASE(reading_the_kernel_kills_it),
    KTEST_CASE(a_null_pointer_kills_it),
    KTEST_CASE(running_off_its_stack_kills_it),
    KTEST_CASE(a_privileged_instruction_kills_it),
    KTEST_CASE(the_next_program_runs_normally),
    KTEST_CASE(an_unknown_program_is_refused),
    KTEST_CASE(a_bad_elf_is_refused_and_nothing_is_mapped),
    KTEST_CASE(too_many_arguments_are_refused),
    KTEST_CASE(an_unknown_system_call_returns_enosys),
    { 0 },
};
KTEST_SUITE(user, user_cases);
