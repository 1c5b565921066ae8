/*
 * traps.c: what happens once vectors.S has saved a trap frame.
 *
 * Traps from EL0 go to the generic code: `svc #0` to the system-call
 * table, anything else to the user-fault policy (include/duet/trap.h).
 * For the kernel's own exceptions this file owns the AArch64 part of the
 * fault report (include/duet/fault.h has the shape both arches share),
 * printed before powering off with PANIC_EXIT_STATUS or going back to a
 * test that expected the fault; and the one kernel exception Duet resumes
 * from: a semihosting call that trapped because QEMU was run without
 * semihosting.
 */
#include <duet/arch.h>
#include <duet/fault.h>
#include <duet/layout.h>
#include <duet/panic.h>
#include <duet/printk.h>
#include <duet/sections.h>
#include <duet/trap.h>
#include "aarch64.h"
#include "trap.h"

/* ESR_EL1 (Arm ARM, "ESR_EL1, Exception Syndrome Register (EL1)"):
 * EC [31:26] says which exception, ISS [24:0] the details. */
#define ESR_EC(esr)  ((u32)((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

/* The exception classes Duet looks at; ec_names has the rest. */
#define EC_UNKNOWN    0x00
#define EC_SVC64      0x15
#define EC_IABT_LOWER 0x20
#define EC_IABT_SAME  0x21
#define EC_PC_ALIGN   0x22
#define EC_DABT_LOWER 0x24
#define EC_DABT_SAME  0x25
#define EC_SP_ALIGN   0x26
#define EC_SERROR     0x2f
#define EC_BRK64      0x3c

/* ISS bits of instruction and data aborts ("ISS encoding for an exception
 * from a Data Abort"). */
#define ISS_FSC(iss) ((u32)(iss)&0x3f) /* fault status code */
#define ISS_WNR      (1 << 6)          /* write, not read */
#define ISS_S1PTW    (1 << 7)          /* stage 2 fault on a stage 1 walk */
#define ISS_CM       (1 << 8)          /* cache maintenance instruction */
#define ISS_FNV      (1 << 10)         /* FAR not valid */

static const char *const ec_names[64] = {
    [0x00] = "undefined instruction",
    [0x01] = "trapped WFI/WFE",
    [0x07] = "trapped SIMD/FP access",
    [0x0d] = "branch target exception",
    [0x0e] = "illegal execution state",
    [0x11] = "SVC from AArch32",
    [0x15] = "SVC from AArch64",
    [0x16] = "HVC from AArch64",
    [0x17] = "SMC from AArch64",
    [0x18] = "trapped MSR/MRS/system instruction",
    [0x19] = "trapped SVE access",
    [0x1c] = "pointer authentication failure",
    [0x20] = "instruction abort from a lower EL",
    [0x21] = "instruction abort, same EL",
    [0x22] = "PC alignment fault",
    [0x24] = "data abort from a lower EL",
    [0x25] = "data abort, same EL",
    [0x26] = "SP alignment fault",
    [0x2c] = "floating-point exception",
    [0x2f] = "SError interrupt",
    [0x30] = "breakpoint from a lower EL",
    [0x31] = "breakpoint, same EL",
    [0x32] = "software step from a lower EL",
    [0x33] = "software step, same EL",
    [0x34] = "watchpoint from a lower EL",
    [0x35] = "watchpoint, same EL",
    [0x3c] = "BRK instruction",
};

static const char *const from_names[4] = {
    [TRAP_FROM_EL1_SP0] = "current EL using SP_EL0",
    [TRAP_FROM_EL1_SPX] = "current EL using SP_EL1",
    [TRAP_FROM_EL0_A64] = "lower EL in AArch64 (user mode)",
    [TRAP_FROM_EL0_A32] = "lower EL in AArch32",
};

static const char *const type_names[4] = {
    [TRAP_SYNC] = "synchronous exception",
    [TRAP_IRQ] = "IRQ",
    [TRAP_FIQ] = "FIQ",
    [TRAP_SERROR] = "SError",
};

/*
 * Name a data/instruction fault status code ("DFSC" in the ESR_EL1
 * description); *level is the translation level for the codes that have
 * one, else -1. NULL for codes Duet does not name.
 */
#define FSC_PERMISSION 0x0c

static const char *fault_status_name(u32 fsc, int *level)
{
    *level = (int)(fsc & 3);
    switch (fsc & 0x3c) {
    case 0x00: return "address size fault";
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case FSC_PERMISSION: return "permission fault";
    case 0x14: return "synchronous external abort on a table walk";
    }
    *level = -1;
    switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x11: return "tag check fault";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    case 0x31: return "unsupported atomic hardware update";
    }
    return NULL;
}

/* The line after ESR/FAR/ELR/SPSR: what the syndrome says, in words. */
static void describe_syndrome(const struct trap_frame *tf, u32 ec)
{
    u64 iss = ESR_ISS(tf->esr);
    const char *access, *status;
    struct fault_stack stack;
    int level;

    switch (ec) {
    case EC_IABT_LOWER:
    case EC_IABT_SAME:
    case EC_DABT_LOWER:
    case EC_DABT_SAME:
        if (ec == EC_IABT_LOWER || ec == EC_IABT_SAME)
            access = "instruction fetch";
        else if (iss & ISS_CM)
            access = "cache maintenance";
        else
            access = (iss & ISS_WNR) ? "write" : "read";
        if (iss & ISS_FNV)
            printf("  %s at an unknown address: ", access);
        else
            printf("  %s at 0x%016lx: ", access, tf->far);
        status = fault_status_name(ISS_FSC(iss), &level);
        if (status)
            printf("%s", status);
        else
            printf("fault status code 0x%02x", ISS_FSC(iss));
        if (level >= 0)
            printf(", level %d", level);
        if (iss & ISS_S1PTW)
            printf(", during a stage 1 table walk");
        if (!(iss & ISS_FNV) && tf->far < NULL_GUARD_END)
            printf(" (NULL pointer dereference?)");
        else if (!(iss & ISS_FNV) && fault_find_stack(tf->far, &stack) && stack.in_guard)
            printf(" (the guard below %s)", stack.name);
        printf("\n");
        break;
    case EC_UNKNOWN:
        /* Show the word only when it is the kernel's own code, surely mapped. */
        if (tf->elr >= (uintptr_t)__text_start && tf->elr < (uintptr_t)__text_end)
            printf("  the instruction at ELR, 0x%08x, is not defined at EL1\n",
                   *(const u32 *)(uintptr_t)tf->elr);
        else
            printf("  the instruction at ELR is not defined\n");
        break;
    case EC_SVC64: printf("  svc #0x%lx\n", iss & 0xffff); break;
    case EC_BRK64: printf("  brk #0x%lx\n", iss & 0xffff); break;
    case EC_PC_ALIGN: printf("  PC 0x%016lx is not a multiple of 4\n", tf->far); break;
    case EC_SP_ALIGN: printf("  SP 0x%016lx is not a multiple of 16\n", tf->sp); break;
    default: printf("  ISS 0x%07lx\n", iss); break;
    }
}

static void print_registers(const struct trap_frame *tf)
{
    char name[4];

    for (int i = 0; i < 32; i++) {
        if (i < 31)
            snprintf(name, sizeof(name), "x%d", i);
        else
            snprintf(name, sizeof(name), "sp");
        printf("  %-3s 0x%016lx", name, i < 31 ? tf->x[i] : tf->sp);
        if (i % 4 == 3)
            printf("\n");
    }
}

/* The exception in generic terms, for fault_report_end(). */
static struct fault_info decode_fault(const struct trap_frame *tf, u64 kind)
{
    u32 from = TRAP_FROM(kind), type = kind & 3, ec = ESR_EC(tf->esr);
    u64 iss = ESR_ISS(tf->esr);
    bool has_syndrome = type == TRAP_SYNC || type == TRAP_SERROR;
    struct fault_info info = {
        .what = has_syndrome && ec_names[ec] ? ec_names[ec] : type_names[type],
        .pc = tf->elr,
        .sp = tf->sp,
        .user = from == TRAP_FROM_EL0_A64 || from == TRAP_FROM_EL0_A32,
    };

    if (type == TRAP_SYNC &&
        (ec == EC_IABT_LOWER || ec == EC_IABT_SAME || ec == EC_DABT_LOWER || ec == EC_DABT_SAME)) {
        info.memory = true;
        info.addr = (iss & ISS_FNV) ? 0 : tf->far;
        if (ec == EC_IABT_LOWER || ec == EC_IABT_SAME)
            info.access = FAULT_EXEC;
        else
            info.access = (iss & ISS_WNR) && !(iss & ISS_CM) ? FAULT_WRITE : FAULT_READ;
        info.protection = (ISS_FSC(iss) & 0x3c) == FSC_PERMISSION;
    }
    return info;
}

void aarch64_trap(struct trap_frame *tf, u64 kind)
{
    u32 from = TRAP_FROM(kind), type = kind & 3;
    u32 ec = ESR_EC(tf->esr);
    struct fault_stack stack;
    /* ESR_EL1 describes synchronous exceptions and SErrors only. */
    bool has_syndrome = type == TRAP_SYNC || type == TRAP_SERROR;

    /*
     * Without -semihosting-config, QEMU treats the semihosting HLT as an
     * undefined instruction. Step over it, make the call return -1, and
     * let arch_poweroff() fall back to PSCI.
     */
    if (kind == TRAP_KIND(TRAP_FROM_EL1_SPX, TRAP_SYNC) && ec == EC_UNKNOWN &&
        tf->elr == (u64)(uintptr_t)aarch64_semihost) {
        semihosting_unavailable();
        tf->x[0] = (u64)-1;
        tf->elr += 4;
        return;
    }

    /* From user mode: a system call, or a fault that is the program's. */
    if (kind == TRAP_KIND(TRAP_FROM_EL0_A64, TRAP_SYNC)) {
        if (ec == EC_SVC64) {
            tf->x[0] = (u64)syscall_dispatch(tf->x[8], tf->x);
            return;
        }
        struct fault_info info = decode_fault(tf, kind);
        user_fault(&info); /* returns only to retry the access */
        return;
    }

    if (has_syndrome)
        fault_report_begin("%s (EC 0x%02x)",
                           ec_names[ec] ? ec_names[ec] : "unnamed exception class", ec);
    else
        fault_report_begin("unexpected %s", type_names[type]);
    if (from != TRAP_FROM_EL1_SPX)
        printf("  taken from %s: a vector group Duet does not use yet\n", from_names[from]);
    printf("  ESR 0x%08lx  FAR 0x%016lx  ELR 0x%016lx  SPSR 0x%08lx\n", tf->esr, tf->far, tf->elr,
           tf->spsr);
    if (has_syndrome)
        describe_syndrome(tf, ec);
    else
        printf("  an FIQ, or an IRQ where Duet takes none; ESR and FAR are stale\n");
    print_registers(tf);
    /*
     * The vector found less than a trap frame plus TRAP_STACK_MARGIN left
     * on a kernel stack. fault_report_end() names an SP that has already
     * reached the guard; one just above the bottom (a store with writeback faults
     * before it moves SP) is named here.
     */
    if ((kind & TRAP_STACK_OVERFLOW) && fault_find_stack(tf->sp, &stack) && tf->sp > stack.bottom)
        printf("  kernel stack overflow: sp 0x%lx is less than the %d bytes a trap needs above"
               " the bottom of %s [0x%lx, 0x%lx)\n",
               tf->sp, TRAP_FRAME_SIZE + TRAP_STACK_MARGIN, stack.name, (unsigned long)stack.bottom,
               (unsigned long)stack.top);
    struct fault_info info = decode_fault(tf, kind);
    fault_report_end(&info, tf->x[29], tf->sp);
}
