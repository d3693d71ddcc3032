/* fleetop: dispatch to subcommands. */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "fleetop: not built yet\n");
	return 2;
}
