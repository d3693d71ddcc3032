/* The simulator's shell reads command lines from any SSH client: it must
 * never crash, hang or leak whatever it is sent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/loop.h"
#include "sim/sim_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loop *loop;
	static struct sim sim;
	static struct sim_host host;
	if (!loop) {
		loop = loop_new();
		sim.loop = loop;
		sim.clock = (struct model_clock){ loop_now_ms(loop), 1700000000, 1 };
		host.sim = &sim;
		snprintf(host.name, sizeof host.name, "fz-01");
		model_host_init(&host.model, 1, 0, GAME_MINECRAFT, 0, &sim.clock, loop_now_ms(loop));
	}
	/* First line: the command; the rest: its stdin. */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = memchr(text, '\n', size);
	const char *in = "";
	if (nl) {
		*nl = '\0';
		in = nl + 1;
	}
	struct buf out = { 0 }, err = { 0 }, inb = { 0 };
	buf_puts(&inb, in);
	struct sh_io io = { &out, &err, &inb, true };
	struct sim_shell *sh = shell_new(&host, "fuzz", text);
	int64_t ms;
	for (int i = 0; i < 1000 && shell_run(sh, &io, &ms) != SH_DONE; i++)
		;
	shell_free(sh);
	char **argv;
	int n = shell_words(text, &argv);
	if (n >= 0)
		words_free(argv, n);
	buf_free(&out);
	buf_free(&err);
	buf_free(&inb);
	vfs_free_all(&host);
	free(text);
	return 0;
}
