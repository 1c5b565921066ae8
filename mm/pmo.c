/*
 * virt_to_phys(): the inverse of the two linear maps the kernel has, the
 * PMO and the kernel image. See mm/pmo.h for the contract.
 */
#include <duet/panic.h>
#include <duet/sections.h>
#include <mm/pmo.h>

paddr_t virt_to_phys(const void *va)
{
    uintptr_t v = (uintptr_t)va;

    if (v >= PHYS_OFFSET && v < PMO_END)
        return v - PHYS_OFFSET;
    if (v >= (uintptr_t)__kernel_start && v < (uintptr_t)__kernel_end)
        return v - KERNEL_VIRT_BASE + KERNEL_PHYS_BASE;
    panic("virt_to_phys: %p is neither in the PMO nor in the kernel image", va);
}

paddr_t pmo_early_start(void)
{
    return EARLY_PMO_PHYS;
}

paddr_t pmo_early_end(void)
{
    return EARLY_PMO_PHYS + EARLY_PMO_SIZE;
}
