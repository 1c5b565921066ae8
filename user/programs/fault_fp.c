/* Executes a floating-point instruction (user/lib/arch/<arch>/fault.S).
 * User programs have no FP/SIMD registers: nothing would save them from
 * one process to the next. The kernel must end the program; "survived"
 * means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    printf("fault_fp: executing a floating-point instruction\n");
    arch_fp_instruction();
    printf("survived\n");
    return 0;
}
