/*
 * A minimal, bounds-checked reader of a flattened device tree (the
 * Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB)
 * Format"): enough to check a blob's header and read a property of a node
 * named by path. Every read stays inside the blob's structure and strings
 * blocks, whatever the blob contains.
 */
#ifndef AARCH64_FDT_H
#define AARCH64_FDT_H

#include <duet/types.h>

struct fdt {
    const u8 *blob;
    u32 size;               /* the header's totalsize */
    const u8 *structure;    /* the structure block: nodes and properties */
    u32 structure_size;
    const char *strings;    /* the strings block: property names */
    u32 strings_size;
};

/* Errors, as negative return values. */
#define FDT_ERR_MAGIC       1   /* not a device tree */
#define FDT_ERR_VERSION     2   /* a format version this reader does not know */
#define FDT_ERR_SIZE        3   /* totalsize too small, or larger than the memory given */
#define FDT_ERR_LAYOUT      4   /* a block lies outside the blob or is misaligned */

/*
 * Check the header of the blob at `blob`, of which at most `avail` bytes
 * may be read, and fill in `fdt`. Returns 0 or -FDT_ERR_*.
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t avail);
/* The name of an FDT_ERR_* (given as negative or positive). */
const char *fdt_strerror(int err);
/*
 * Property `name` of the node at `path` ("/chosen", "/psci"; a path
 * component without '@' also matches a node name with a unit address).
 * Returns its value and stores its length in *len, or NULL when absent.
 */
const void *fdt_getprop(const struct fdt *fdt, const char *path, const char *name, u32 *len);

#endif
