/*
 * fdt.c: the minimal device-tree reader declared in fdt.h.
 *
 * The blob is big-endian. Its structure block is a sequence of 32-bit
 * tokens: FDT_BEGIN_NODE (followed by the NUL-terminated node name, padded
 * to 4 bytes), FDT_PROP (length, offset of the name in the strings block,
 * value padded to 4 bytes), FDT_END_NODE, FDT_NOP and a final FDT_END.
 * Each token read advances by at least 4 bytes and is checked against the
 * block's end first, so a malformed blob ends the walk, never the kernel.
 */
#include <duet/compiler.h>
#include <duet/string.h>
#include "fdt.h"

#define FDT_MAGIC           0xd00dfeed
#define FDT_HEADER_SIZE     40      /* ten 32-bit fields */
#define FDT_VERSION         17      /* what this reader implements (17 added size_dt_struct) */

#define FDT_BEGIN_NODE      1
#define FDT_END_NODE        2
#define FDT_PROP            3
#define FDT_NOP             4
#define FDT_END             9

/* Paths deeper than this are not looked up. */
#define FDT_MAX_DEPTH       8

static u32 be32(const u8 *p)
{
    return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* Header field i (0 = magic, 1 = totalsize, ...). */
static u32 header(const u8 *blob, int i)
{
    return be32(blob + 4 * i);
}

/* True when [off, off + len) lies inside a block of `size` bytes. */
static bool in_block(u64 off, u64 len, u64 size)
{
    return off <= size && len <= size - off;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t avail)
{
    const u8 *b = blob;
    u32 size, off_struct, size_struct, off_strings, size_strings;

    if (avail < FDT_HEADER_SIZE || header(b, 0) != FDT_MAGIC)
        return -FDT_ERR_MAGIC;
    /* The blob's version (field 5) must be at least ours, and the oldest
     * version it is compatible with (last_comp_version, field 6) at most. */
    if (header(b, 5) < FDT_VERSION || header(b, 6) > FDT_VERSION)
        return -FDT_ERR_VERSION;
    size = header(b, 1);
    if (size < FDT_HEADER_SIZE || size > avail)
        return -FDT_ERR_SIZE;
    off_struct = header(b, 2);
    off_strings = header(b, 3);
    size_strings = header(b, 8);
    size_struct = header(b, 9);
    if (!in_block(off_struct, size_struct, size) || !in_block(off_strings, size_strings, size) ||
        off_struct % 4 != 0 || size_struct % 4 != 0 || off_struct < FDT_HEADER_SIZE)
        return -FDT_ERR_LAYOUT;

    fdt->blob = b;
    fdt->size = size;
    fdt->structure = b + off_struct;
    fdt->structure_size = size_struct;
    fdt->strings = (const char *)b + off_strings;
    fdt->strings_size = size_strings;
    return 0;
}

const char *fdt_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case 0: return "no error";
    case FDT_ERR_MAGIC: return "bad magic (not a device tree)";
    case FDT_ERR_VERSION: return "unsupported version";
    case FDT_ERR_SIZE: return "bad totalsize";
    case FDT_ERR_LAYOUT: return "structure or strings block outside the blob";
    }
    return "unknown error";
}

struct component {
    const char *name;
    size_t len;
};

/* Split "/a/b" into its components; -1 if deeper than FDT_MAX_DEPTH. */
static int split_path(const char *path, struct component *comp)
{
    int n = 0;

    while (*path) {
        while (*path == '/')
            path++;
        if (!*path)
            break;
        if (n == FDT_MAX_DEPTH)
            return -1;
        comp[n].name = path;
        while (*path && *path != '/')
            path++;
        comp[n].len = (size_t)(path - comp[n].name);
        n++;
    }
    return n;
}

/* Does node `name` match path component `c`? "psci" matches "psci" and "psci@0". */
static bool node_matches(const char *name, const struct component *c)
{
    if (strncmp(name, c->name, c->len) != 0)
        return false;
    if (name[c->len] == '\0')
        return true;
    return name[c->len] == '@' && !memchr(c->name, '@', c->len);
}

const void *fdt_getprop(const struct fdt *fdt, const char *path, const char *name, u32 *len)
{
    struct component comp[FDT_MAX_DEPTH];
    int ncomp = split_path(path, comp);
    const u8 *s = fdt->structure;
    u32 size = fdt->structure_size;
    u32 off = 0;
    /* depth: nodes open, root = 1; matched: path components matched by them. */
    int depth = 0, matched = 0;

    if (ncomp < 0)
        return NULL;
    while (in_block(off, 4, size)) {
        u32 token = be32(s + off);

        off += 4;
        switch (token) {
        case FDT_BEGIN_NODE: {
            const char *node = (const char *)s + off;
            const char *nul = memchr(node, '\0', size - off);

            if (!nul)
                return NULL;
            off += ALIGN_UP((u32)(nul - node) + 1, 4u);
            depth++;
            /* The root (depth 1) has an empty name; a child of a matched
             * node may match the next component. */
            if (depth >= 2 && matched == depth - 2 && matched < ncomp &&
                node_matches(node, &comp[matched]))
                matched++;
            break;
        }
        case FDT_END_NODE:
            if (depth == 0)
                return NULL;
            if (matched == depth - 1 && matched > 0)
                matched--;
            depth--;
            break;
        case FDT_PROP: {
            u32 plen, nameoff;
            const char *pname;

            if (!in_block(off, 8, size))
                return NULL;
            plen = be32(s + off);
            nameoff = be32(s + off + 4);
            off += 8;
            if (!in_block(off, plen, size) || nameoff >= fdt->strings_size)
                return NULL;
            pname = fdt->strings + nameoff;
            if (depth == ncomp + 1 && matched == ncomp &&
                memchr(pname, '\0', fdt->strings_size - nameoff) && strcmp(pname, name) == 0) {
                *len = plen;
                return s + off;
            }
            off += ALIGN_UP(plen, 4u);
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
        default:
            return NULL;
        }
    }
    return NULL;
}
