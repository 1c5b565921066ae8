/*
 * firmware.S: calls out of the kernel, to the emulator or firmware below
 * it. Semihosting (Arm's "Semihosting for AArch32 and AArch64"
 * specification) asks the debugger or emulator to do something for us;
 * QEMU implements it when run with -semihosting-config enable=on. PSCI
 * calls follow the SMC Calling Convention (Arm DEN 0028): function ID in
 * x0, arguments in x1-x3, result in x0, through HVC or SMC.
 */

    .text

/* u64 aarch64_semihost(u64 op, u64 arg): the A64 semihosting trap is HLT #0xF000. */
    .globl  aarch64_semihost
    .balign 4
aarch64_semihost:
    hlt     #0xf000
    ret

/* u64 aarch64_hvc(u64 fn, u64 a1, u64 a2, u64 a3) */
    .globl  aarch64_hvc
aarch64_hvc:
    hvc     #0
    ret

/* u64 aarch64_smc(u64 fn, u64 a1, u64 a2, u64 a3) */
    .globl  aarch64_smc
aarch64_smc:
    smc     #0
    ret
