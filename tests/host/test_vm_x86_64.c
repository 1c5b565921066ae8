/* mm/vm.c with x86_64 page-table entries: the cases are in vm_cases.h. */
#include "vm_cases.h"
