/*
 * What the suites on address spaces share (mm/aspace_test.c, mm/cow_test.c):
 * the spaces a case holds, so that the suite's exit puts what a failed
 * case left, and a hoard of buddy blocks to run the allocator short.
 */
#ifndef MM_ASPACE_TEST_H
#define MM_ASPACE_TEST_H

#include <duet/types.h>

struct aspace;

/* Remember as (NULL passes through) until put_space() or the suite's exit. */
struct aspace *hold(struct aspace *as);
/* Forget as and drop the case's reference. */
void put_space(struct aspace *as);

/* Take every free block of `order` and above (those come back split). */
void hoard_all(unsigned order);
/* Take every free block: the allocator is empty until give_back_hoard(). */
void hoard_everything(void);
void give_back_hoard(void);

/* A suite's exit: the hoard back, table allocations allowed again, no user
 * half loaded, and every space a case still holds put (its lock freed). */
void space_suite_exit(void);

#endif
