/* Executes an instruction only the kernel may execute (the arch's choice is
 * in user/lib/arch/<arch>/fault.S), so the kernel must end the program with
 * a report; "survived" means it did not. */
#include <ulib.h>

int main(int argc, char **argv)
{
    printf("fault_privileged: executing a privileged instruction\n");
    arch_privileged_instruction();
    printf("survived\n");
    return 0;
}
