/* Fuzz: the inventory parser, then a selection pattern taken from the
 * input's last line, with the invariants the rest of fleetop relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	char *nl = strrchr(text, '\n');
	const char *pattern = "";
	if (nl) {
		*nl = '\0';
		pattern = nl + 1;
	}
	struct fleet f;
	struct error err;
	if (fleet_load_string(&f, text, "fuzz.conf", &err) == 0) {
		for (size_t i = 0; i < f.nhosts; i++) {
			struct host *h = &f.hosts[i];
			if (fleet_find(&f, h->name) != h || h->id != i)
				abort();
			for (size_t g = 0; g < h->ngroups; g++)
				if (!fleet_group(&f, h->groups[g]) || !host_in_group(h, h->groups[g]))
					abort();
			if (h->port < 0 || h->port > 65535)
				abort();
		}
		unsigned char *sel = xmalloc(f.nhosts + 1);
		if (fleet_select(&f, pattern, sel, &err) == 0) {
			for (size_t i = 0; i < f.nhosts; i++)
				if (sel[i] > 1)
					abort();
		} else if (!err.msg[0] || strchr(err.msg, '\n')) {
			abort();
		}
		if (f.nhosts)
			host_set_metric(&f.hosts[0], pattern, 1.0);
		free(sel);
		fleet_free(&f);
	} else if (strncmp(err.msg, "fuzz.conf:", 10) != 0 || strchr(err.msg, '\n')) {
		abort();
	}
	free(text);
	return 0;
}
