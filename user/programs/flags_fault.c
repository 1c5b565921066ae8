/* A fault taken with the flags a hostile program sets first
 * (arch_fault_with_odd_flags, ulib.h): the kernel must end the program with
 * a report and go on with flags of its own; "survived" means it did not
 * end it. */
#include <ulib.h>

int main(int argc, char **argv)
{
    printf("flags_fault: reading address 0 with odd flags set\n");
    arch_fault_with_odd_flags();
    printf("survived\n");
    return 0;
}
