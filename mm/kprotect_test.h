/*
 * The kprotect suite's one hook outside the suite (mm/kprotect_test.c):
 * kmain removes the identity map through it when the suite is to run, so
 * the suite can tell what a read of the identity map did the moment
 * arch_remove_identity_map() returned, on boot.S's tables, before any
 * later switch of roots would hide a stale translation.
 */
#ifndef MM_KPROTECT_TEST_H
#define MM_KPROTECT_TEST_H

/* arch_remove_identity_map(), watched when the command line selects kprotect. */
void kprotect_remove_identity_map(void);

#endif
