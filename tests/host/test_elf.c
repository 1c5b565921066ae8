/*
 * Host tests of mm/elf.c. A valid executable is built in memory, shaped
 * like user/user.lds.S makes them; each case of the table breaks one rule
 * and expects -ENOEXEC with the field named in `why`. Then the real thing:
 * hello as built for each arch (tests/host/data/elf/, made with
 * `objcopy --strip-all build/<arch>/user/hello.elf` and its aarch64
 * twin), accepted for its own machine and refused for the other, and
 * every truncation of it parsed without reading past the end.
 */
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "host.h"
#include "../../mm/elf.c"

/* --- a valid image ------------------------------------------------------------ */

#define PHOFF        sizeof(Elf64_Ehdr)
#define MAX_PHDRS    12
#define FILE_SIZE    0x3100
#define PT_GNU_STACK 0x6474e551

static u8 file[FILE_SIZE];

/*
 *   program header 0  PT_LOAD  R-X  file 0x1000 +0x800   at 0x400000 (0x800 bytes)
 *                  1  PT_LOAD  R--  file 0x2000 +0x100   at 0x401000 (0x100 bytes)
 *                  2  PT_LOAD  RW-  file 0x3000 +0x100   at 0x402000 (0x2345 bytes: .bss)
 *                  3  PT_GNU_STACK
 * entry 0x400010; the heap starts at 0x405000.
 */
static void make_valid(void)
{
    const Elf64_Ehdr eh = {
        .e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_EXEC,
        .e_machine = EM_X86_64,
        .e_version = EV_CURRENT,
        .e_entry = 0x400010,
        .e_phoff = PHOFF,
        .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 4,
    };
    const Elf64_Phdr ph[4] = {
        { PT_LOAD, PF_R | PF_X, 0x1000, 0x400000, 0x400000, 0x800, 0x800, 0x1000 },
        { PT_LOAD, PF_R, 0x2000, 0x401000, 0x401000, 0x100, 0x100, 0x1000 },
        { PT_LOAD, PF_R | PF_W, 0x3000, 0x402000, 0x402000, 0x100, 0x2345, 0x1000 },
        { PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 0x10 },
    };

    memset(file, 0, sizeof(file));
    memcpy(file, &eh, sizeof(eh));
    memcpy(file + PHOFF, ph, sizeof(ph));
}

static Elf64_Phdr *phdr(unsigned i)
{
    return (Elf64_Phdr *)(file + PHOFF + i * sizeof(Elf64_Phdr));
}

static Elf64_Ehdr *ehdr(void)
{
    return (Elf64_Ehdr *)file;
}

static void accepts_the_valid_image(void)
{
    struct elf_image img;
    char why[128] = "not cleared";

    make_valid();
    int err = elf_parse(file, sizeof(file), EM_X86_64, &img, why, sizeof(why));
    if (err) { /* img holds nothing to check */
        host_fail(__FILE__, __LINE__, "elf_parse returned %d: %s", err, why);
        return;
    }
    CHECK_STR(why, "");
    CHECK_EQ(img.entry, 0x400010);
    CHECK_EQ(img.end, 0x405000);
    CHECK_EQ(img.nsegments, 3);
    CHECK_EQ(img.segments[0].va, 0x400000);
    CHECK_EQ(img.segments[0].flags, VM_READ | VM_EXEC);
    CHECK_EQ(img.segments[1].flags, VM_READ);
    CHECK_EQ(img.segments[2].flags, VM_READ | VM_WRITE);
    CHECK_EQ(img.segments[2].file_offset, 0x3000);
    CHECK_EQ(img.segments[2].file_size, 0x100);
    CHECK_EQ(img.segments[2].mem_size, 0x2345);
}

/* --- one broken rule per case -------------------------------------------------- */

struct edit {
    size_t offset;
    unsigned width; /* 0: no edit */
    u64 value;
};

#define IDENT(i, v) \
    {               \
        (i), 1, (v) \
    }
#define EH(f, v)                                                   \
    {                                                              \
        offsetof(Elf64_Ehdr, f), sizeof(((Elf64_Ehdr *)0)->f), (v) \
    }
#define PH(i, f, v)                                                                               \
    {                                                                                             \
        PHOFF + (i) * sizeof(Elf64_Phdr) + offsetof(Elf64_Phdr, f), sizeof(((Elf64_Phdr *)0)->f), \
            (v)                                                                                   \
    }

struct bad_case {
    const char *name;
    struct edit edits[3];
    void (*setup)(void); /* for what edits cannot say */
    bool truncate;       /* cut the file to `size` bytes */
    size_t size;
    const char *why; /* must appear in the message */
};

/* Ten R-- segments a page apart, after the R-X one: one too many. */
static void nine_segments(void)
{
    ehdr()->e_phnum = 9;
    for (unsigned i = 1; i < 9; i++)
        *phdr(i) =
            (Elf64_Phdr){ PT_LOAD, PF_R, 0x2000, 0x400000 + i * 0x1000, 0, 0x10, 0x10, 0x1000 };
}

static void no_load_segment(void)
{
    for (unsigned i = 0; i < 3; i++)
        phdr(i)->p_type = 4; /* PT_NOTE */
}

#define USER_LIMIT ELF_USER_LIMIT /* the first address a segment may not touch */

static const struct bad_case bad_cases[] = {
    /* The ELF header. */
    { "shorter than the header", .truncate = true, .size = sizeof(Elf64_Ehdr) - 1,
      .why = "file size is 63 bytes, smaller than the ELF header (64)" },
    { "empty file", .truncate = true, .size = 0, .why = "file size is 0" },
    { "bad magic", { IDENT(1, 'e') }, .why = "e_ident magic is 7f 65 4c 46" },
    { "32-bit class", { IDENT(EI_CLASS, 1) }, .why = "e_ident[EI_CLASS] is 1, expected 2" },
    { "big-endian", { IDENT(EI_DATA, 2) }, .why = "e_ident[EI_DATA] is 2, expected 1" },
    { "ident version 0", { IDENT(EI_VERSION, 0) }, .why = "e_ident[EI_VERSION] is 0" },
    { "relocatable object", { EH(e_type, 1) }, .why = "e_type is 1, expected 2" },
    { "position-independent", { EH(e_type, ET_DYN) }, .why = "e_type is 3, expected 2" },
    { "other machine", { EH(e_machine, EM_AARCH64) }, .why = "e_machine is 183, expected 62" },
    { "e_version 2", { EH(e_version, 2) }, .why = "e_version is 2, expected 1" },
    { "e_phentsize 32", { EH(e_phentsize, 32) }, .why = "e_phentsize is 32, expected 56" },
    { "e_phoff past the end", { EH(e_phoff, FILE_SIZE + 8) }, .why = "e_phoff 0x3108" },
    { "table runs past the end", { EH(e_phoff, FILE_SIZE - 100) }, .why = "e_phoff 0x309c" },
    { "e_phoff wraps around", { EH(e_phoff, ~0ULL - 63) }, .why = "e_phoff 0xffffffffffffffc0" },
    { "e_phnum too large", { EH(e_phnum, 0xffff) }, .why = "e_phnum 65535 runs past" },
    /* The program headers. */
    { "no program headers", { EH(e_phnum, 0) }, .why = "no PT_LOAD segment" },
    { "no PT_LOAD", .setup = no_load_segment, .why = "no PT_LOAD segment" },
    { "nine PT_LOADs", .setup = nine_segments, .why = "more than 8 PT_LOAD segments" },
    { "PT_INTERP", { PH(3, p_type, PT_INTERP) }, .why = "PT_INTERP: dynamically linked" },
    { "PT_DYNAMIC", { PH(3, p_type, PT_DYNAMIC) }, .why = "PT_DYNAMIC: dynamically linked" },
    /* Each PT_LOAD. */
    { "p_filesz > p_memsz",
      { PH(1, p_filesz, 0x101) },
      .why = "PT_LOAD 2: p_filesz 0x101 is larger than p_memsz 0x100" },
    { "contents past the end",
      { PH(2, p_filesz, 0x200) },
      .why = "PT_LOAD 3: p_offset 0x3000 + p_filesz 0x200 runs past the end" },
    { "p_offset past the end",
      { PH(1, p_offset, FILE_SIZE + 0x1000 - 0x100) },
      .why = "PT_LOAD 2: p_offset 0x4000" },
    /* The sum is 2^64, 0 once it wraps: a check that adds first lets it in. */
    { "p_offset + p_filesz wraps",
      { PH(2, p_offset, ~0ULL - 0xfff), PH(2, p_filesz, 0x1000) },
      .why = "PT_LOAD 3: p_offset 0xfffffffffffff000 + p_filesz 0x1000 runs past the end" },
    { "p_align 0", { PH(0, p_align, 0) }, .why = "PT_LOAD 1: p_align is 0x0" },
    { "p_align 1", { PH(0, p_align, 1) }, .why = "PT_LOAD 1: p_align is 0x1" },
    { "p_align below a page", { PH(0, p_align, 0x800) }, .why = "p_align is 0x800" },
    { "p_align not a power of two", { PH(0, p_align, 0x3000) }, .why = "p_align is 0x3000" },
    { "p_vaddr and p_offset incongruent",
      { PH(1, p_vaddr, 0x401800) },
      .why = "PT_LOAD 2: p_vaddr 0x401800 and p_offset 0x2000 differ modulo the page size" },
    { "in the NULL guard",
      { PH(0, p_vaddr, 0x3ff000), EH(e_entry, 0x3ff010) },
      .why = "PT_LOAD 1: p_vaddr 0x3ff000 + p_memsz 0x800 is outside user space" },
    { "at address 0", { PH(0, p_vaddr, 0), EH(e_entry, 0x10) }, .why = "PT_LOAD 1: p_vaddr 0x0" },
    { "in the kernel",
      { PH(2, p_vaddr, 0xffffffff80000000ULL) },
      .why = "PT_LOAD 3: p_vaddr 0xffffffff80000000 + p_memsz 0x2345 is outside" },
    { "in the stack guard page", { PH(2, p_vaddr, USER_LIMIT) }, .why = "is outside user space" },
    { "into the stack guard page",
      { PH(2, p_memsz, USER_LIMIT - 0x402000 + 1) },
      .why = "PT_LOAD 3: p_vaddr 0x402000 + p_memsz 0x7fffff3fc001 is outside user space "
             "[0x400000, 0x7fffff7fe000)" },
    { "p_vaddr + p_memsz wraps", { PH(2, p_memsz, ~0ULL) }, .why = "is outside user space" },
    { "not readable", { PH(1, p_flags, 0) }, .why = "PT_LOAD 2: p_flags is 0x0, not readable" },
    { "execute-only", { PH(0, p_flags, PF_X) }, .why = "PT_LOAD 1: p_flags is 0x1, not readable" },
    { "writable and executable",
      { PH(2, p_flags, PF_R | PF_W | PF_X) },
      .why = "PT_LOAD 3: p_flags is 0x7, both writable and executable" },
    { "two segments in one page",
      { PH(1, p_vaddr, 0x400000) },
      .why = "PT_LOAD 2: p_vaddr 0x400000 is below the end of the previous segment" },
    /* The text ends at 0x400800: its page is not free for the next segment. */
    { "a segment in the previous one's last page",
      { PH(1, p_vaddr, 0x400800), PH(1, p_offset, 0x2800) },
      .why = "PT_LOAD 2: p_vaddr 0x400800 is below the end of the previous segment's last "
             "page (0x401000)" },
    { "descending order",
      { PH(1, p_vaddr, 0x500000) },
      .why = "PT_LOAD 3: p_vaddr 0x402000 is below the end of the previous segment's last "
             "page (0x501000)" },
    /* The entry point. */
    { "entry in rodata", { EH(e_entry, 0x401000) }, .why = "e_entry 0x401000 is not inside" },
    { "entry in no segment", { EH(e_entry, 0x300000) }, .why = "e_entry 0x300000" },
    { "entry past the text's file contents",
      { PH(0, p_memsz, 0x1000), EH(e_entry, 0x400900) },
      .why = "e_entry 0x400900" },
    { "entry in .bss of an executable segment",
      { PH(0, p_memsz, 0x1000), EH(e_entry, 0x400800) },
      .why = "e_entry 0x400800" },
};

static void apply(const struct edit *e)
{
    switch (e->width) {
    case 1: {
        u8 v = (u8)e->value;
        memcpy(file + e->offset, &v, 1);
        break;
    }
    case 2: {
        u16 v = (u16)e->value;
        memcpy(file + e->offset, &v, 2);
        break;
    }
    case 4: {
        u32 v = (u32)e->value;
        memcpy(file + e->offset, &v, 4);
        break;
    }
    case 8: memcpy(file + e->offset, &e->value, 8); break;
    }
}

static void refuses_each_broken_rule(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct elf_image img, untouched;
        char why[160];
        size_t size = c->truncate ? c->size : FILE_SIZE;

        make_valid();
        for (size_t k = 0; k < ARRAY_SIZE(c->edits); k++)
            apply(&c->edits[k]);
        if (c->setup)
            c->setup();
        memset(&img, 0xa5, sizeof(img));
        untouched = img;
        memset(why, 0, sizeof(why));
        /* An exact-size copy: ASan sees any read past the end. */
        u8 *copy = malloc(size ? size : 1);
        memcpy(copy, file, size);
        int err = elf_parse(copy, size, EM_X86_64, &img, why, sizeof(why));
        free(copy);

        CHECK_MSG(err == -ENOEXEC, "%s: elf_parse returned %d, expected -ENOEXEC", c->name, err);
        CHECK_MSG(strstr(why, c->why), "%s: why is \"%s\", expected it to contain \"%s\"", c->name,
                  why, c->why);
        CHECK_MSG(memcmp(&img, &untouched, sizeof(img)) == 0, "%s: *out was written", c->name);
    }
}

/* --- what is accepted beyond the plain case --------------------------------------- */

/* GNU ld writes an empty PT_LOAD at address 0 for a PHDRS entry no section
 * went into (a program without .rodata); it maps nothing. */
static void skips_an_empty_segment(void)
{
    struct elf_image img;

    make_valid();
    *phdr(1) = (Elf64_Phdr){ PT_LOAD, PF_R, 0x120, 0, 0, 0, 0, 0x1000 };
    CHECK_EQ(elf_parse(file, sizeof(file), EM_X86_64, &img, NULL, 0), 0);
    CHECK_EQ(img.nsegments, 2);
    CHECK_EQ(img.segments[1].va, 0x402000);
}

static void accepts_eight_segments(void)
{
    struct elf_image img;
    char why[160] = "";

    make_valid();
    nine_segments();
    ehdr()->e_phnum = 8;
    CHECK_EQ(elf_parse(file, sizeof(file), EM_X86_64, &img, why, sizeof(why)), 0);
    CHECK_STR(why, "");
    CHECK_EQ(img.nsegments, 8);
    CHECK_EQ(img.end, 0x408000);
}

static void accepts_a_segment_ending_at_the_limit(void)
{
    struct elf_image img;

    make_valid();
    phdr(2)->p_memsz = USER_LIMIT - 0x402000;
    CHECK_EQ(elf_parse(file, sizeof(file), EM_X86_64, &img, NULL, 0), 0);
    CHECK_EQ(img.end, USER_LIMIT);
    CHECK(USER_LIMIT + USER_STACK_MAX + PAGE_SIZE == USER_STACK_TOP);
}

/* Any alignment: the loader reads the headers with memcpy. */
static void accepts_an_unaligned_file(void)
{
    static u8 shifted[FILE_SIZE + 1];
    struct elf_image img;

    make_valid();
    memcpy(shifted + 1, file, FILE_SIZE);
    CHECK_EQ(elf_parse(shifted + 1, FILE_SIZE, EM_X86_64, &img, NULL, 0), 0);
}

/* A short `why` is cut, not overrun (ASan watches the exact-size buffer). */
static void truncates_why(void)
{
    struct elf_image img;
    char *why = malloc(8);

    make_valid();
    ehdr()->e_machine = 3;
    CHECK_EQ(elf_parse(file, sizeof(file), EM_X86_64, &img, why, 8), -ENOEXEC);
    CHECK_STR(why, "e_machi");
    free(why);
    CHECK_EQ(elf_parse(file, sizeof(file), EM_X86_64, &img, NULL, 0), -ENOEXEC);
}

/* --- the real programs -------------------------------------------------------------- */

static u8 *load(const char *name, size_t *size)
{
    return host_load_data("elf", name, size);
}

static void check_real(const char *name, unsigned machine, unsigned other)
{
    size_t size;
    u8 *data = load(name, &size);
    struct elf_image img;
    char why[160] = "", want[64];

    if (!data)
        return;
    /* Nothing below can be checked, or even indexed, without the image. */
    if (elf_parse(data, size, machine, &img, why, sizeof(why)) != 0 || img.nsegments < 2 ||
        img.nsegments > 3) {
        host_fail(__FILE__, __LINE__, "%s: %s", name,
                  why[0] ? why : "accepted, but not with 2 or 3 segments");
        free(data);
        return;
    }
    CHECK_EQ(img.entry, USER_BASE); /* _start, first in .text */
    CHECK_EQ(img.segments[0].va, USER_BASE);
    CHECK_EQ(img.segments[0].flags, VM_READ | VM_EXEC);
    CHECK_EQ(img.segments[img.nsegments - 1].flags, VM_READ | VM_WRITE);
    CHECK(img.segments[img.nsegments - 1].file_size < img.segments[img.nsegments - 1].mem_size);
    CHECK(img.end % PAGE_SIZE == 0 && img.end > USER_BASE && img.end < USER_BASE + 0x100000);

    CHECK_EQ(elf_parse(data, size, other, &img, why, sizeof(why)), -ENOEXEC);
    snprintf(want, sizeof(want), "e_machine is %u, expected %u", machine, other);
    CHECK_STR(why, want);

    /* Every prefix: refused once it lacks a segment's bytes, never read past. */
    u64 needed = 0;
    CHECK_EQ(elf_parse(data, size, machine, &img, NULL, 0), 0);
    for (unsigned i = 0; i < img.nsegments; i++)
        if (img.segments[i].file_size)
            needed = MAX(needed, img.segments[i].file_offset + img.segments[i].file_size);
    for (size_t len = 0; len < size; len++) {
        u8 *prefix = malloc(len ? len : 1);
        memcpy(prefix, data, len);
        int err = elf_parse(prefix, len, machine, &img, why, sizeof(why));
        free(prefix);
        if (len < needed && err != -ENOEXEC) {
            host_fail(__FILE__, __LINE__, "%s cut to %zu bytes: returned %d", name, len, err);
            break;
        }
    }
    free(data);
}

static void accepts_hello_for_x86_64(void)
{
    check_real("hello-x86_64.elf", EM_X86_64, EM_AARCH64);
}

static void accepts_hello_for_aarch64(void)
{
    check_real("hello-aarch64.elf", EM_AARCH64, EM_X86_64);
}

HOST_TESTS(accepts_the_valid_image, refuses_each_broken_rule, skips_an_empty_segment,
           accepts_eight_segments, accepts_a_segment_ending_at_the_limit, accepts_an_unaligned_file,
           truncates_why, accepts_hello_for_x86_64, accepts_hello_for_aarch64)
