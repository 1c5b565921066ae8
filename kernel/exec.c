/*
 * exec_load (kernel/exec.h). The ELF file is checked completely by
 * elf_parse() before anything is allocated, so a bad file costs nothing.
 *
 * The initial stack, from USER_STACK_TOP down:
 *
 *   argv[0..argc-1] strings, NUL-terminated
 *   padding to 16 bytes
 *   argv[argc] = NULL
 *   argv[argc-1] .. argv[0]     <- argv (the second argument register)
 *                               <- sp, 16-byte aligned
 */
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <kernel/exec.h>
#include <mm/aspace.h>
#include <mm/elf.h>
#include <mm/uaccess.h>

/*
 * Map the pages of one segment that elf_parse() vouched for, holding its
 * file bytes and zeros after them, with exactly the segment's permissions.
 * No user page may be writable and executable at any moment, not even
 * while it is being filled.
 */
static int load_segment(struct aspace *as, const u8 *file, const struct elf_segment *seg)
{
    /* LAB 5 BEGIN: load_segment */
    /* LAB 5 STUB: return -ENOSYS; */
    vaddr_t start = ALIGN_DOWN(seg->va, (vaddr_t)PAGE_SIZE);
    vaddr_t end = ALIGN_UP(seg->va + seg->mem_size, (vaddr_t)PAGE_SIZE);
    int err = aspace_map_zeroed(as, start, end - start, VM_READ | VM_WRITE);

    if (err)
        return err;
    /* The pages came zeroed: past file_size (.bss) there is nothing to do. */
    err = copy_to_user(as, seg->va, file + seg->file_offset, seg->file_size);
    if (err)
        return err;
    return aspace_protect(as, start, end - start, seg->flags);
    /* LAB 5 END */
}

/* What went wrong in load_segment(), for `why` (short: proc.c's holds 96 bytes). */
static const char *load_error(int err)
{
    switch (err) {
    case -ENOMEM: return "out of memory";
    case -ENOSYS: return "lab 5: not implemented"; /* the handout's stubs */
    case -EINVAL: return "bad range or flags (W+X is refused)";
    case -EFAULT: return "copy_to_user refused (page not writable?)";
    case -EEXIST: return "a page is mapped already";
    default: return "unexpected error";
    }
}

/* Push argv; returns the stack pointer, or 0 when it does not fit. */
static vaddr_t push_arguments(struct aspace *as, int argc, const char *const argv[],
                              vaddr_t *argv_va)
{
    vaddr_t pointers[EXEC_MAX_ARGS + 1];
    vaddr_t sp = USER_STACK_TOP;
    /* Arguments may use a page of the stack at most. */
    const vaddr_t floor = USER_STACK_TOP - PAGE_SIZE;

    for (int i = argc - 1; i >= 0; i--) {
        size_t len = strlen(argv[i]) + 1;
        if (sp - floor < len)
            return 0;
        sp -= len;
        if (copy_to_user(as, sp, argv[i], len))
            return 0;
        pointers[i] = sp;
    }
    pointers[argc] = 0;
    sp = ALIGN_DOWN(sp, 16) - ALIGN_UP((argc + 1) * sizeof(vaddr_t), 16);
    if (sp < floor || copy_to_user(as, sp, pointers, (argc + 1) * sizeof(vaddr_t)))
        return 0;
    *argv_va = sp;
    return sp;
}

int exec_load(const void *file, size_t size, int argc, const char *const argv[],
              struct exec_result *out, char *why, size_t why_size)
{
    struct elf_image img;
    int err = elf_parse(file, size, ARCH_ELF_MACHINE, &img, why, why_size);

    if (err)
        return err;
    if (argc < 1 || argc > EXEC_MAX_ARGS) {
        snprintf(why, why_size, "%d arguments; 1 to %d are allowed", argc, EXEC_MAX_ARGS);
        return -E2BIG;
    }

    struct aspace *as = aspace_create();
    if (!as) {
        snprintf(why, why_size, "no memory for an address space");
        return -ENOMEM;
    }
    for (unsigned i = 0; i < img.nsegments; i++) {
        err = load_segment(as, file, &img.segments[i]);
        if (err) {
            /* elf_parse() vouched for the segment, so the solution can only
             * run out of memory; a stub or a bug shows in the error named. */
            snprintf(why, why_size, "loading the segment at 0x%lx: %s (%d)",
                     (unsigned long)img.segments[i].va, load_error(err), err);
            aspace_put(as);
            return -ENOMEM;
        }
    }
    if (aspace_map_zeroed(as, USER_STACK_BOTTOM, USER_STACK_SIZE, VM_READ | VM_WRITE)) {
        snprintf(why, why_size, "no memory for its stack");
        aspace_put(as);
        return -ENOMEM;
    }

    vaddr_t argv_va;
    vaddr_t sp = push_arguments(as, argc, argv, &argv_va);
    if (!sp) {
        snprintf(why, why_size, "the arguments do not fit in a page");
        aspace_put(as);
        return -E2BIG;
    }
    as->heap_start = as->brk = img.end;
    out->as = as;
    out->entry =
        (struct user_entry){ .pc = img.entry, .sp = sp, .arg0 = (uintptr_t)argc, .arg1 = argv_va };
    return 0;
}
