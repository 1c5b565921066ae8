/*
 * libFuzzer target for elf_parse(): the input is an ELF file, seeded with
 * the real programs in tests/host/data/elf/. Whatever it holds, parsing
 * for either machine must not crash or read outside it; a refusal must
 * come with a reason; and an accepted image must keep every promise of
 * mm/elf.h, which the loader relies on without checking again.
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/elf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct elf_image *img, const uint8_t *data, size_t size)
{
    u64 previous_end = 0;
    bool entry_found = false;
    volatile u8 sink = 0;

    if (img->nsegments < 1 || img->nsegments > ELF_MAX_SEGMENTS)
        abort();
    for (unsigned i = 0; i < img->nsegments; i++) {
        const struct elf_segment *s = &img->segments[i];

        if (s->mem_size == 0 || s->file_size > s->mem_size)
            abort();
        if (s->file_offset > size || s->file_size > size - s->file_offset)
            abort();
        if (s->va < USER_BASE || s->va >= ELF_USER_LIMIT || s->mem_size > ELF_USER_LIMIT - s->va)
            abort();
        if ((s->va - s->file_offset) % PAGE_SIZE)
            abort();
        if (!(s->flags & VM_READ) || (s->flags & ~(VM_READ | VM_WRITE | VM_EXEC)))
            abort();
        if ((s->flags & VM_WRITE) && (s->flags & VM_EXEC))
            abort();
        if (ALIGN_DOWN(s->va, PAGE_SIZE) < previous_end)
            abort();
        previous_end = ALIGN_UP(s->va + s->mem_size, PAGE_SIZE);
        if ((s->flags & VM_EXEC) && img->entry >= s->va && img->entry - s->va < s->file_size)
            entry_found = true;
        /* What the loader will copy: ASan complains if it is not all in the input. */
        for (u64 k = 0; k < s->file_size; k++)
            sink ^= data[s->file_offset + k];
    }
    if (!entry_found || img->end != previous_end || img->end > ELF_USER_LIMIT)
        abort();
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned machines[] = { EM_X86_64, EM_AARCH64 };

    for (size_t m = 0; m < ARRAY_SIZE(machines); m++) {
        struct elf_image img;
        char why[128];

        memset(why, 0, sizeof(why));
        int err = elf_parse(data, size, machines[m], &img, why, sizeof(why));
        if (err == 0)
            check_accepted(&img, data, size);
        else if (err != -ENOEXEC || why[0] == '\0' || !memchr(why, '\0', sizeof(why)))
            abort();
    }
    return 0;
}
