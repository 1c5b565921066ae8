/*
 * The kernel command line: space-separated words, each `key` or
 * `key=value`. Set once by kmain from the boot info.
 */
#ifndef DUET_CMDLINE_H
#define DUET_CMDLINE_H

#include <duet/types.h>

void cmdline_init(const char *cmdline);
const char *cmdline_get_all(void);
/* Copy the value of `key` into buf; false when the key is absent. */
bool cmdline_get(const char *key, char *buf, size_t size);
/* True when `key` appears, with or without a value. */
bool cmdline_has(const char *key);

#endif
