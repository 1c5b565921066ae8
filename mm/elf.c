/*
 * elf_parse(): decide whether an ELF64 file is a user program Duet can
 * load, before anything is mapped (mm/elf.h has the rules).
 *
 * Every number in the file is untrusted. Each check is written so that it
 * cannot overflow (compare against what is left, never add first), the
 * headers are copied out with memcpy (the file may sit at any alignment),
 * and the first failure is reported by the name of the field that holds
 * the bad value, so a student can find it with `readelf -lh`.
 */
#include <duet/compiler.h>
#include <duet/errno.h>
#include <duet/layout.h>
#include <duet/printk.h>
#include <duet/string.h>
#include <mm/arch_mmu.h>
#include <mm/elf.h>

/* Segments end below the stack and the unmapped guard page under it. */
#define ELF_USER_LIMIT USER_STACK_GUARD

static int refuse(char *why, size_t why_size, const char *fmt, ...) __printf(3, 4);

static int refuse(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -ENOEXEC;
}

/* In a function that has the caller's why and why_size. */
#define REFUSE(...) refuse(why, why_size, __VA_ARGS__)

static int check_header(const Elf64_Ehdr *eh, size_t size, unsigned machine, char *why,
                        size_t why_size)
{
    if (memcmp(eh->e_ident, ELFMAG, 4) != 0)
        return REFUSE("e_ident magic is %02x %02x %02x %02x, expected 7f 45 4c 46 (\\x7fELF)",
                      eh->e_ident[0], eh->e_ident[1], eh->e_ident[2], eh->e_ident[3]);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return REFUSE("e_ident[EI_CLASS] is %u, expected %u (64-bit)", eh->e_ident[EI_CLASS],
                      ELFCLASS64);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return REFUSE("e_ident[EI_DATA] is %u, expected %u (little-endian)", eh->e_ident[EI_DATA],
                      ELFDATA2LSB);
    if (eh->e_ident[EI_VERSION] != EV_CURRENT)
        return REFUSE("e_ident[EI_VERSION] is %u, expected %u", eh->e_ident[EI_VERSION],
                      EV_CURRENT);
    if (eh->e_type != ET_EXEC)
        return REFUSE("e_type is %u, expected %u (ET_EXEC)%s", eh->e_type, ET_EXEC,
                      eh->e_type == ET_DYN ? ": position-independent, link with -no-pie" : "");
    if (eh->e_machine != machine)
        return REFUSE("e_machine is %u, expected %u", eh->e_machine, machine);
    if (eh->e_version != EV_CURRENT)
        return REFUSE("e_version is %u, expected %u", eh->e_version, EV_CURRENT);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return REFUSE("e_phentsize is %u, expected %zu", eh->e_phentsize, sizeof(Elf64_Phdr));
    /* e_phnum <= 0xffff, so the product cannot overflow. */
    if (eh->e_phoff > size || (u64)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
        return REFUSE("e_phoff 0x%llx with e_phnum %u runs past the end of the file (%zu bytes)",
                      (unsigned long long)eh->e_phoff, eh->e_phnum, size);
    return 0;
}

/*
 * One PT_LOAD, straight from the file: may the loader map it and copy its
 * bytes without leaving the file, leaving user space, or touching the
 * pages of the segment before it? `n` numbers it in messages (1 = the
 * first PT_LOAD), `size` is the file's size, `previous_end` the
 * page-aligned end of the segment accepted before it (0 for the first).
 *
 * Returns 0, or REFUSE(...) for the first rule broken, checked in this
 * order and with these messages (tests/host/test_elf.c looks for them):
 *
 *   p_filesz <= p_memsz
 *       "PT_LOAD %u: p_filesz 0x%llx is larger than p_memsz 0x%llx"
 *   [p_offset, p_offset + p_filesz) inside the file
 *       "PT_LOAD %u: p_offset 0x%llx + p_filesz 0x%llx runs past the end of the file
 *        (%zu bytes)"
 *   p_align a power of two, at least PAGE_SIZE
 *       "PT_LOAD %u: p_align is 0x%llx, expected a power of two >= 0x%lx"
 *   p_vaddr and p_offset equal modulo PAGE_SIZE
 *       "PT_LOAD %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo the page size"
 *   [p_vaddr, p_vaddr + p_memsz) inside [USER_BASE, ELF_USER_LIMIT)
 *       "PT_LOAD %u: p_vaddr 0x%llx + p_memsz 0x%llx is outside user space [0x%lx, 0x%lx)"
 *   PF_R set
 *       "PT_LOAD %u: p_flags is 0x%x, not readable (PF_R)"
 *   not both PF_W and PF_X
 *       "PT_LOAD %u: p_flags is 0x%x, both writable and executable"
 *   its first page at or above previous_end
 *       "PT_LOAD %u: p_vaddr 0x%llx is below the end of the previous segment's last page
 *        (0x%llx): segments must ascend and share no page"
 *
 * Any field may hold any 64-bit value: a sum of two of them can wrap
 * past 2^64 and look small, so compare with what is left instead.
 */
static int check_segment(const Elf64_Phdr *ph, unsigned n, size_t size, vaddr_t previous_end,
                         char *why, size_t why_size)
{
    /* LAB 5 BEGIN: check_segment */
    /* LAB 5 STUB: return REFUSE("lab 5: not implemented: check_segment (mm/elf.c)"); */
    if (ph->p_filesz > ph->p_memsz)
        return REFUSE("PT_LOAD %u: p_filesz 0x%llx is larger than p_memsz 0x%llx", n,
                      (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
        return REFUSE("PT_LOAD %u: p_offset 0x%llx + p_filesz 0x%llx runs past the end of the "
                      "file (%zu bytes)",
                      n, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, size);
    if (ph->p_align < PAGE_SIZE || (ph->p_align & (ph->p_align - 1)))
        return REFUSE("PT_LOAD %u: p_align is 0x%llx, expected a power of two >= 0x%lx", n,
                      (unsigned long long)ph->p_align, PAGE_SIZE);
    /* The offset in the page must match, or file pages could not be mapped at va. */
    if ((ph->p_vaddr - ph->p_offset) % PAGE_SIZE)
        return REFUSE("PT_LOAD %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo the page size",
                      n, (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_offset);
    if (ph->p_vaddr < USER_BASE || ph->p_vaddr >= ELF_USER_LIMIT ||
        ph->p_memsz > ELF_USER_LIMIT - ph->p_vaddr)
        return REFUSE("PT_LOAD %u: p_vaddr 0x%llx + p_memsz 0x%llx is outside user space "
                      "[0x%lx, 0x%lx)",
                      n, (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
                      USER_BASE, ELF_USER_LIMIT);
    if (!(ph->p_flags & PF_R))
        return REFUSE("PT_LOAD %u: p_flags is 0x%x, not readable (PF_R)", n, ph->p_flags);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return REFUSE("PT_LOAD %u: p_flags is 0x%x, both writable and executable", n, ph->p_flags);
    /* Pages are mapped with one permission each: no page may hold two segments. */
    if (ALIGN_DOWN(ph->p_vaddr, PAGE_SIZE) < previous_end)
        return REFUSE("PT_LOAD %u: p_vaddr 0x%llx is below the end of the previous "
                      "segment's last page (0x%llx): segments must ascend and share no page",
                      n, (unsigned long long)ph->p_vaddr, (unsigned long long)previous_end);
    return 0;
    /* LAB 5 END */
}

static unsigned vm_flags(u32 p_flags)
{
    return VM_READ | (p_flags & PF_W ? VM_WRITE : 0) | (p_flags & PF_X ? VM_EXEC : 0);
}

int elf_parse(const void *file, size_t size, unsigned machine, struct elf_image *out, char *why,
              size_t why_size)
{
    const u8 *bytes = file;
    struct elf_image img = { .nsegments = 0 };
    Elf64_Ehdr eh;
    unsigned loads = 0;
    int err;

    if (size < sizeof(eh))
        return REFUSE("file size is %zu bytes, smaller than the ELF header (%zu)", size,
                      sizeof(eh));
    memcpy(&eh, bytes, sizeof(eh));
    err = check_header(&eh, size, machine, why, why_size);
    if (err)
        return err;

    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, bytes + eh.e_phoff + (u64)i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
            return REFUSE("p_type of program header %u is %s: dynamically linked, "
                          "Duet loads static executables only",
                          i, ph.p_type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
        if (ph.p_type != PT_LOAD)
            continue;
        loads++;
        /* An empty PT_LOAD maps nothing: GNU ld writes one, at address 0,
         * for a PHDRS entry no section went into. */
        if (ph.p_memsz == 0 && ph.p_filesz == 0)
            continue;
        err = check_segment(&ph, loads, size, img.end, why, why_size);
        if (err)
            return err;
        if (img.nsegments == ELF_MAX_SEGMENTS)
            return REFUSE("e_phnum: more than %u PT_LOAD segments", ELF_MAX_SEGMENTS);
        img.segments[img.nsegments++] = (struct elf_segment){
            .va = ph.p_vaddr,
            .mem_size = ph.p_memsz,
            .file_offset = ph.p_offset,
            .file_size = ph.p_filesz,
            .flags = vm_flags(ph.p_flags),
        };
        /* Cannot overflow: the segment ends at or below ELF_USER_LIMIT, a page boundary. */
        img.end = ALIGN_UP(ph.p_vaddr + ph.p_memsz, PAGE_SIZE);
    }
    if (img.nsegments == 0)
        return REFUSE("e_phnum: no PT_LOAD segment with contents among %u program headers",
                      eh.e_phnum);

    /* The first instruction must come from the file, in an executable segment. */
    bool entry_ok = false;
    for (unsigned i = 0; i < img.nsegments; i++) {
        const struct elf_segment *s = &img.segments[i];
        if ((s->flags & VM_EXEC) && eh.e_entry >= s->va && eh.e_entry - s->va < s->file_size)
            entry_ok = true;
    }
    if (!entry_ok)
        return REFUSE("e_entry 0x%llx is not inside the file contents of an executable segment",
                      (unsigned long long)eh.e_entry);

    img.entry = eh.e_entry;
    *out = img;
    if (why_size)
        why[0] = '\0';
    return 0;
}
