/*
 * The user programs the kernel carries in its image: every
 * user/programs/<name>.c, built as a static ELF64 executable for this arch
 * (mk/user.mk, which also generates the table below) and loaded with
 * elf_parse() (mm/elf.h). The images sit in .rodata, 16-byte aligned,
 * exactly as the linker wrote them (debug info stripped).
 */
#ifndef DUET_USER_PROGRAMS_H
#define DUET_USER_PROGRAMS_H

struct user_program {
    const char *name;           /* the source's file stem: "hello" */
    const unsigned char *image; /* the ELF file */
    unsigned long size;         /* its size in bytes */
};

/* Sorted by name; user_program_count entries. */
extern const struct user_program user_programs[];
extern const unsigned long user_program_count;

/* The program called `name`, or NULL if the kernel carries none. */
const struct user_program *user_program_find(const char *name);

#endif
