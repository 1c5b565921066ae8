/*
 * ktest suite `user`: the user programs (user/programs/) run on this
 * machine, and their exit statuses come back. Each misbehaving program is
 * killed with the status of its fault while the kernel goes on; after
 * every program the buddy allocator has exactly the pages it had before,
 * so an address space leaks nothing. A program made here, loaded and never
 * run, shows every byte and permission exec_load leaves in its pages.
 * tests/test_user.py checks what the programs and the fault reports print.
 */
#include <duet/errno.h>
#include <duet/ktest.h>
#include <duet/layout.h>
#include <duet/string.h>
#include <duet/syscall.h>
#include <duet/trap.h>
#include <duet/user_programs.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/aspace.h>
#include <mm/buddy.h>
#include <mm/elf.h>
#include <mm/kmalloc.h>
#include <mm/pmo.h>
#include <kernel/proc_test.h>

/* Run argv[0] with argv; check the status and that no page leaked. */
void expect_run(struct ktest *t, int argc, const char *const argv[], int want)
{
    u64 before = buddy_free_pages_count();
    int status = -1;

    KASSERT_ERRNO(t, proc_run(argv[0], argc, argv, &status), 0);
    if (status != want)
        ktest_fail(t, __FILE__, __LINE__, "%s exited with status %d, expected %d", argv[0], status,
                   want);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

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

/* No process has FP/SIMD registers (nothing saves them between
 * processes, docs/user-mode.md): one FP instruction ends it. */
static void a_floating_point_instruction_kills_it(struct ktest *t)
{
    RUN(t, PROC_STATUS_ILL, "fault_fp");
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

/* --- a program loaded and looked at, never run ------------------------------------------ */

/*
 *   PT_LOAD 1  R-X  file 0x1000 +0x1800  at 0x400000: two pages, the second half full
 *   PT_LOAD 2  R--  file 0x2a10 +0x800   at 0x403a10, 0x1800 bytes in memory: unaligned,
 *                   the file bytes across a page boundary, the last page zeros only
 *   PT_LOAD 3  RW-  file 0x3f00 +0x300   at 0x406f00, 0x2000 bytes in memory: the file
 *                   bytes across one page boundary, .bss across the next
 *
 * Every byte of the file outside the headers is nonzero, so a byte copied
 * from the wrong place, or one too many, shows.
 */
#define IMAGE_SIZE 0x6000
#define IMAGE_END  0x409000 /* the page after the last segment: the heap */

static const struct elf_segment image_segments[] = {
    { .va = 0x400000,
      .mem_size = 0x1800,
      .file_offset = 0x1000,
      .file_size = 0x1800,
      .flags = VM_READ | VM_EXEC },
    { .va = 0x403a10,
      .mem_size = 0x1800,
      .file_offset = 0x2a10,
      .file_size = 0x800,
      .flags = VM_READ },
    { .va = 0x406f00,
      .mem_size = 0x2000,
      .file_offset = 0x3f00,
      .file_size = 0x300,
      .flags = VM_READ | VM_WRITE },
};

static u8 image[IMAGE_SIZE];

static void make_image(void)
{
    Elf64_Ehdr eh = {
        .e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_EXEC,
        .e_machine = ARCH_ELF_MACHINE,
        .e_version = EV_CURRENT,
        .e_entry = 0x400000,
        .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = ARRAY_SIZE(image_segments),
    };

    for (size_t i = 0; i < sizeof(image); i++)
        image[i] = (u8)((i * 13 + (i >> 8)) % 255 + 1);
    memcpy(image, &eh, sizeof(eh));
    for (unsigned i = 0; i < ARRAY_SIZE(image_segments); i++) {
        const struct elf_segment *s = &image_segments[i];
        Elf64_Phdr ph = {
            .p_type = PT_LOAD,
            .p_flags = PF_R | (s->flags & VM_WRITE ? PF_W : 0) | (s->flags & VM_EXEC ? PF_X : 0),
            .p_offset = s->file_offset,
            .p_vaddr = s->va,
            .p_paddr = s->va,
            .p_filesz = s->file_size,
            .p_memsz = s->mem_size,
            .p_align = PAGE_SIZE,
        };
        memcpy(image + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
    }
}

/* The segment whose pages hold va, or NULL. */
static const struct elf_segment *segment_at(vaddr_t va)
{
    for (unsigned i = 0; i < ARRAY_SIZE(image_segments); i++) {
        const struct elf_segment *s = &image_segments[i];
        if (va >= ALIGN_DOWN(s->va, PAGE_SIZE) && va < ALIGN_UP(s->va + s->mem_size, PAGE_SIZE))
            return s;
    }
    return NULL;
}

/* What the byte at va must hold: the file's byte inside the file part, else 0. */
static u8 expected_byte(const struct elf_segment *s, vaddr_t va)
{
    if (va >= s->va && va - s->va < s->file_size)
        return image[s->file_offset + (va - s->va)];
    return 0;
}

/* One page of the loaded image: mapped as its segment says, every byte in place. */
static void check_loaded_page(struct ktest *t, struct aspace *as, vaddr_t page)
{
    const struct elf_segment *s = segment_at(page);
    struct vm_translation tr;
    const unsigned seen = VM_USER | VM_READ | VM_WRITE | VM_EXEC | VM_GLOBAL;

    if (vm_translate(&as->vm, page, &tr) != VM_OK) {
        if (s)
            ktest_fail(t, __FILE__, __LINE__, "page 0x%lx of the segment at 0x%lx is not mapped",
                       (unsigned long)page, (unsigned long)s->va);
        return;
    }
    if (!s) {
        ktest_fail(t, __FILE__, __LINE__, "page 0x%lx is mapped, but no segment is there",
                   (unsigned long)page);
        return;
    }
    if ((tr.flags & seen) != (VM_USER | s->flags))
        ktest_fail(t, __FILE__, __LINE__,
                   "page 0x%lx has flags 0x%x, expected 0x%x (VM_USER and its segment's)",
                   (unsigned long)page, tr.flags & seen, VM_USER | s->flags);
    const u8 *bytes = phys_to_virt(tr.pa);
    for (vaddr_t off = 0; off < PAGE_SIZE; off++) {
        u8 want = expected_byte(s, page + off);
        if (bytes[off] != want) {
            ktest_fail(t, __FILE__, __LINE__, "the byte at 0x%lx is 0x%02x, expected 0x%02x (%s)",
                       (unsigned long)(page + off), bytes[off], want,
                       want ? "from the file" : "zero: not part of the file's bytes");
            return;
        }
    }
}

static void the_loader_puts_every_byte_in_place(struct ktest *t)
{
    const char *const argv[] = { "image" };
    u64 before = buddy_free_pages_count();
    struct exec_result ex;
    char why[96] = "";

    make_image();
    u64 synced = aspace_icache_synced_bytes;
    int err = exec_load(image, sizeof(image), 1, argv, &ex, why, sizeof(why));
    if (err) {
        ktest_fail(t, __FILE__, __LINE__, "exec_load returned %s: %s", errno_name(err), why);
        return;
    }
    for (vaddr_t page = USER_BASE - PAGE_SIZE; page <= IMAGE_END; page += PAGE_SIZE)
        check_loaded_page(t, ex.as, page);
    /* The one executable segment's two pages, and nothing else, went through
     * arch_sync_icache: no emulator here shows a missing flush. */
    KEXPECT_EQ(t, aspace_icache_synced_bytes - synced, (u64)2 * PAGE_SIZE);
    KEXPECT_EQ(t, ex.as->heap_start, (vaddr_t)IMAGE_END);
    KEXPECT_EQ(t, ex.entry.pc, (uintptr_t)0x400000);
    aspace_put(ex.as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
}

static void loading_out_of_memory_leaks_nothing(struct ktest *t)
{
    const char *const argv[] = { "image" };
    u64 before = buddy_free_pages_count();
    struct exec_result ex;
    char why[96];

    make_image();
    /* It needs 7 tables: the root, 3 down to the segments, 3 down to the stack. */
    for (long tables = 0; tables <= 7; tables++) {
        pt_alloc_fail_after(tables);
        int err = exec_load(image, sizeof(image), 1, argv, &ex, why, sizeof(why));
        pt_alloc_fail_after(-1);
        if (err == 0)
            aspace_put(ex.as);
        else
            KEXPECT_ERRNO(t, err, -ENOMEM);
        KEXPECT_EQ(t, buddy_free_pages_count(), before);
    }
    /* With memory back, it loads. */
    KASSERT_ERRNO(t, exec_load(image, sizeof(image), 1, argv, &ex, why, sizeof(why)), 0);
    aspace_put(ex.as);
    KEXPECT_EQ(t, buddy_free_pages_count(), before);
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
    KTEST_CASE(a_floating_point_instruction_kills_it),
    KTEST_CASE(the_next_program_runs_normally),
    KTEST_CASE(an_unknown_program_is_refused),
    KTEST_CASE(a_bad_elf_is_refused_and_nothing_is_mapped),
    KTEST_CASE(too_many_arguments_are_refused),
    KTEST_CASE(an_unknown_system_call_returns_enosys),
    KTEST_CASE(the_loader_puts_every_byte_in_place),
    KTEST_CASE(loading_out_of_memory_leaks_nothing),
    { 0 },
};
KTEST_SUITE(user, user_cases);
