/* Generic kernel services that boot/ provides to the rest of the kernel. */
#ifndef DUET_KERNEL_H
#define DUET_KERNEL_H

/* Print the boot banner: arch, CPU, command line, the virtual layout. */
void banner_print(void);

/* Run the deliberate fault named by `crash=` (tests of the fault reports). */
void crash_run(const char *what);

#endif
