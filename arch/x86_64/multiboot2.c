/*
 * Reading the Multiboot2 information block GRUB leaves in memory
 * (Multiboot2 spec 3.6): an 8-byte header {total_size, reserved}, then
 * tags {type, size, ...}, each starting on an 8-byte boundary, ended by a
 * tag of type 0 and size 8. Every length is checked against total_size
 * before it is used, so a malformed block is reported, never overrun.
 */
#include <duet/compiler.h>
#include <duet/string.h>
#include "x86_64.h"

#define MB2_TAG_END         0
#define MB2_TAG_CMDLINE     1
#define MB2_INFO_MAX_SIZE   (1u << 20)      /* far above what GRUB writes */

struct mb2_tag {
    u32 type;
    u32 size;
};

/*
 * GRUB's multiboot2 command escapes the characters its own script language
 * treats specially: it writes \" \' and \\ for " ' and \ in the arguments.
 * Undo that, so the kernel sees the command line the user wrote.
 */
static void copy_cmdline_unescaped(char *dst, size_t size, const char *src)
{
    size_t n = 0;

    for (; *src && n + 1 < size; src++) {
        if (src[0] == '\\' && (src[1] == '\\' || src[1] == '\'' || src[1] == '"'))
            src++;
        dst[n++] = *src;
    }
    dst[n] = '\0';
}

const char *multiboot2_parse(const void *info, struct boot_info *bi)
{
    const u8 *base = info;
    u32 total = ((const u32 *)info)[0];

    if (total < 8 + sizeof(struct mb2_tag) || total > MB2_INFO_MAX_SIZE)
        return "total_size out of range";
    bi->fw_info_size = total;

    for (u32 off = 8; off + sizeof(struct mb2_tag) <= total;) {
        const struct mb2_tag *tag = (const void *)(base + off);

        if (tag->size < sizeof(struct mb2_tag) || tag->size > total - off)
            return "a tag's size runs past total_size";
        if (tag->type == MB2_TAG_END)
            return tag->size == sizeof(struct mb2_tag) ? NULL : "end tag has the wrong size";
        if (tag->type == MB2_TAG_CMDLINE) {
            const char *s = (const char *)(tag + 1);
            size_t max = tag->size - sizeof(*tag);

            if (strnlen(s, max) == max)
                return "command-line tag is not NUL-terminated";
            copy_cmdline_unescaped(bi->cmdline, sizeof(bi->cmdline), s);
        }
        off += ALIGN_UP(tag->size, 8u);
    }
    return "no end tag";
}
