/*
 * Loading a user program: its ELF image into a new address space, with a
 * stack and its arguments (docs/user-mode.md).
 */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

#include <duet/arch.h>
#include <duet/types.h>

#define EXEC_MAX_ARGS 16 /* argv entries, the program's name included */

struct aspace;

struct exec_result {
    struct aspace *as;       /* one reference, for the caller */
    struct user_entry entry; /* pc, sp, argc, argv */
};

/*
 * Check `file` (size bytes) with elf_parse(), then build its address space:
 * every segment mapped with its own permissions, its file bytes copied and
 * the rest zeroed; the stack below USER_STACK_TOP with an unmapped guard
 * page under it; argv's strings and pointers on the stack; the heap right
 * after the highest segment. Returns 0, or -ENOEXEC (a bad ELF: `why`
 * names the field), -E2BIG (too many or too long arguments) or -ENOMEM,
 * with nothing left allocated.
 */
int exec_load(const void *file, size_t size, int argc, const char *const argv[],
              struct exec_result *out, char *why, size_t why_size);

#endif
