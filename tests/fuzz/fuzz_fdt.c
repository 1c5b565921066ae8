/*
 * libFuzzer target for fdt_parse(), the device-tree parser: the input is
 * the blob, all of it available. Whatever it holds, the parser must not
 * read outside it (AddressSanitizer watches an exact-size copy), must end,
 * and must either refuse it with an "fdt: " message or return a boot_info
 * that holds together:
 *
 *   - the first region is the DTB itself, no larger than the input;
 *   - every region has a size, a type the parser gives, and no wrap-around;
 *   - the command line is terminated, the PSCI method a string inside the blob;
 *   - the interrupt lines are INTIDs of the right kind (a PPI for the
 *     timer, an SPI for the UART) and only with a GIC, of version 2 or 3;
 *   - the same blob with nothing after its totalsize parses the same way.
 *
 * Seeds: tests/host/data/fdt/ (`make fuzz`).
 */
#include <stdlib.h>

#include "../host/host.h"
#include "../../mm/memmap.c"
#include "../../arch/aarch64/fdt.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BLOB_PA 0x40000000ULL

static struct boot_info bi, again;
static struct fdt_irq irq, irq_again;

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* The same boot_info, field by field (struct padding may differ). */
static bool same(const struct boot_info *x, const struct boot_info *y)
{
    if (x->fw_info != y->fw_info || x->fw_info_size != y->fw_info_size ||
        strcmp(x->cmdline, y->cmdline) != 0 || x->raw.count != y->raw.count)
        return false;
    for (size_t i = 0; i < x->raw.count; i++) {
        const struct mem_region *r = &x->raw.regions[i], *s = &y->raw.regions[i];
        if (r->base != s->base || r->size != s->size || r->type != s->type)
            return false;
    }
    return true;
}

/* Parse a copy of data[0, size) in a buffer of exactly that size, 8-aligned. */
static const char *parse_copy(const uint8_t *data, size_t size, struct boot_info *out,
                              const char **psci, struct fdt_irq *irq_out, u8 **copy)
{
    *copy = malloc(size ? size : 1); /* malloc aligns to 16 */
    memcpy(*copy, data, size);
    memset(out, 0, sizeof(*out));
    return fdt_parse(*copy, size, BLOB_PA, out, psci, irq_out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *err, *psci, *psci_again;
    u8 *blob, *blob_again;

    err = parse_copy(data, size, &bi, &psci, &irq, &blob);
    if (err) {
        check(strncmp(err, "fdt: ", 5) == 0 && strlen(err) < sizeof(message));
        check(psci == NULL);
        check(irq.gic_version == 0 && irq.timer_intid == 0 && irq.uart_intid == 0);
        free(blob);
        return 0;
    }

    check(bi.fw_info == BLOB_PA && bi.fw_info_size >= FDT_HEADER_SIZE && bi.fw_info_size <= size);
    check(bi.raw.count >= 1 && bi.raw.count <= MEMMAP_MAX_REGIONS);
    check(bi.raw.regions[0].base == BLOB_PA && bi.raw.regions[0].size == bi.fw_info_size &&
          bi.raw.regions[0].type == MEM_FIRMWARE_INFO);
    for (size_t i = 0; i < bi.raw.count; i++) {
        const struct mem_region *r = &bi.raw.regions[i];
        check(r->size != 0 && r->base + r->size - 1 >= r->base);
        check(r->type == MEM_USABLE || r->type == MEM_RESERVED || r->type == MEM_MODULE ||
              (r->type == MEM_FIRMWARE_INFO && i == 0));
    }
    check(strnlen(bi.cmdline, sizeof(bi.cmdline)) < sizeof(bi.cmdline));
    if (psci) {
        const u8 *p = (const u8 *)psci;
        check(p >= blob && p < blob + size && memchr(p, '\0', blob + size - p));
    }

    check(irq.gic_version == 0 || irq.gic_version == 2 || irq.gic_version == 3);
    check(irq.timer_intid == 0 ||
          (irq.gic_version && irq.timer_intid >= 16 && irq.timer_intid < 32));
    check(irq.uart_intid == 0 ||
          (irq.gic_version && irq.uart_intid >= 32 && irq.uart_intid < 1020));

    /* Nothing after totalsize may matter. */
    err = parse_copy(data, bi.fw_info_size, &again, &psci_again, &irq_again, &blob_again);
    check(!err && same(&bi, &again));
    check(memcmp(&irq, &irq_again, sizeof(irq)) == 0);
    check(psci ? psci_again && psci - (const char *)blob == psci_again - (const char *)blob_again
               : !psci_again);
    free(blob);
    free(blob_again);
    return 0;
}
