/*
 * Host builds: the page-table encoding under test. A test defines
 * HOST_ARCH_AARCH64 for AArch64's descriptors; x86_64's otherwise.
 */
#if defined(HOST_ARCH_AARCH64)
#include "../../../../arch/aarch64/include/arch/mmu.h"
#else
#include "../../../../arch/x86_64/include/arch/mmu.h"
#endif
