/* fleetop sim: the simulated fleet as a process of its own (src/sim). */
#include "fleetop/sim.h"
#include "cli.h"

static int sim_run(int argc, char **argv)
{
	return sim_main(argc, argv);
}

const struct command cmd_sim = { "sim", sim_run, "run a simulated fleet on loopback" };
