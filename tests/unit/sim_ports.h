/* Ports for a simulator a unit test starts: n SSH ports and the 2n game
 * ports 8000 above them (TCP and UDP), all free now and all below the
 * ephemeral range (32768+), where another test's client sockets could take
 * one while the simulator starts. Header-only: the sim tests share it. */
#ifndef FLEETOP_TEST_SIM_PORTS_H
#define FLEETOP_TEST_SIM_PORTS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

static inline bool sim_port_free(int p, int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, type, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* The first of n free SSH ports (salt: one test's own, so two tests that
 * start at once pick apart). */
static inline int sim_free_ports(int n, unsigned salt)
{
	for (unsigned attempt = 0; attempt < 50; attempt++) {
		int base = 12000 + (int)(((unsigned)getpid() * salt + attempt * 104729u) % 12000u);
		bool ok = base + 8000 + 2 * n < 32768;
		for (int i = 0; ok && i < n; i++)
			ok = sim_port_free(base + i, SOCK_STREAM);
		for (int i = 0; ok && i < 2 * n; i++)
			ok = sim_port_free(base + 8000 + i, SOCK_STREAM) &&
			     sim_port_free(base + 8000 + i, SOCK_DGRAM);
		if (ok)
			return base;
	}
	return 14000;
}

#endif
