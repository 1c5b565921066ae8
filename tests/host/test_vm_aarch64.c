/* mm/vm.c with AArch64 descriptors: the cases are in vm_cases.h. */
#define HOST_ARCH_AARCH64 1
#include "vm_cases.h"
