/*
 * ELF64 executables: the part of the file format a loader reads, and
 * elf_parse(), which checks a user program before anything is mapped.
 *
 * The structures and constants are those of the System V ABI, generic
 * part ("gABI", chapter 4 "Object Files" and chapter 5 "Program Loading"),
 * in its ELF-64 form (ELF-64 Object File Format, version 1.5). The
 * e_machine values come from the processor supplements: EM_X86_64 from
 * the AMD64 psABI, EM_AARCH64 from Arm's "ELF for the Arm 64-bit
 * Architecture". Defined here, not taken from the host's <elf.h>, because
 * the kernel has no host headers and students should see every field.
 */
#ifndef MM_ELF_H
#define MM_ELF_H

#include <duet/types.h>

/* e_ident[]: the first 16 bytes say how to read the rest. */
#define EI_NIDENT   16
#define EI_MAG0     0 /* 0x7f 'E' 'L' 'F' */
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFMAG      "\177ELF"
#define ELFCLASS64  2 /* 64-bit objects */
#define ELFDATA2LSB 1 /* little-endian */
#define EV_CURRENT  1 /* the only version there is */

/* e_type */
#define ET_EXEC 2 /* executable at fixed addresses */
#define ET_DYN  3 /* shared object or position-independent executable */

/* e_machine */
#define EM_X86_64  62
#define EM_AARCH64 183

/* p_type */
#define PT_NULL    0
#define PT_LOAD    1 /* a segment to map */
#define PT_DYNAMIC 2 /* dynamic-linking tables */
#define PT_INTERP  3 /* the dynamic linker's path */

/* p_flags */
#define PF_X 0x1
#define PF_W 0x2
#define PF_R 0x4

typedef struct {
    u8 e_ident[EI_NIDENT];
    u16 e_type;
    u16 e_machine;
    u32 e_version;
    u64 e_entry; /* virtual address of the first instruction */
    u64 e_phoff; /* file offset of the program header table */
    u64 e_shoff; /* section headers: a loader ignores them */
    u32 e_flags;
    u16 e_ehsize;
    u16 e_phentsize; /* size of one program header */
    u16 e_phnum;     /* number of program headers */
    u16 e_shentsize;
    u16 e_shnum;
    u16 e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    u32 p_type;
    u32 p_flags;
    u64 p_offset; /* where the segment's bytes start in the file */
    u64 p_vaddr;  /* where they go in memory */
    u64 p_paddr;  /* unused */
    u64 p_filesz; /* bytes in the file */
    u64 p_memsz;  /* bytes in memory; the rest is zero (.bss) */
    u64 p_align;
} Elf64_Phdr;

/* --- the loader's view ---------------------------------------------------- */

#define ELF_MAX_SEGMENTS 8

/* One PT_LOAD: map [va, va + mem_size) with `flags`, copy file_size bytes
 * from file_offset to va, and zero the rest. */
struct elf_segment {
    vaddr_t va;
    u64 mem_size, file_offset, file_size;
    unsigned flags; /* VM_READ | VM_WRITE | VM_EXEC (mm/arch_mmu.h) */
};

struct elf_image {
    vaddr_t entry;
    vaddr_t end; /* page-aligned end of the highest segment: where brk starts */
    unsigned nsegments;
    struct elf_segment segments[ELF_MAX_SEGMENTS]; /* ascending, no two share a page */
};

/*
 * Check that `file` (size bytes, any alignment) is an executable Duet can
 * load for `machine` (EM_X86_64 or EM_AARCH64, i.e. ARCH_ELF_MACHINE) and
 * describe its segments in *out. Returns 0, or -ENOEXEC with `why` naming
 * the field and its value, e.g. "e_machine is 183, expected 62"; *out is
 * only written on success. The file is only read.
 *
 * Accepted: a statically linked ET_EXEC whose PT_LOAD segments (1 to
 * ELF_MAX_SEGMENTS) lie in user space below the stack and its guard page,
 * in ascending order, each on pages of its own, readable and never both
 * writable and executable, with p_align a power of two >= PAGE_SIZE
 * (0 and 1, "no alignment", are refused: segments are mapped by pages)
 * and p_vaddr == p_offset modulo PAGE_SIZE, the entry point inside the
 * file contents of an executable segment. A PT_LOAD with p_memsz and
 * p_filesz 0 maps nothing and is skipped, whatever its other fields say.
 * PT_INTERP and PT_DYNAMIC are refused ("dynamically linked"); other
 * program headers (PT_GNU_STACK, PT_NOTE, ...) are ignored.
 */
int elf_parse(const void *file, size_t size, unsigned machine, struct elf_image *out, char *why,
              size_t why_size);

#endif
