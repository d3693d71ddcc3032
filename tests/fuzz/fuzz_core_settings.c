/* Fuzz: fleetop.conf and the INI reader under it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/settings.h"

static int count(void *arg, const char *section, const char *key, const char *value, int line,
		 struct error *err)
{
	(void)section, (void)err;
	if (line < 1 || (key && !value))
		abort();
	++*(int *)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool env_set;
	if (!env_set) {
		setenv("HOME", "/nonexistent-home", 1);
		setenv("FLEETOP_HOME", "/nonexistent-fleetop", 1);
		env_set = true;
	}
	char *text = xstrndup((const char *)data, size);
	struct error err;
	int n = 0;
	ini_parse_sections(text, "fuzz.ini", count, &n, &err);

	struct settings s;
	settings_init(&s);
	if (settings_load_string(&s, text, "/etc/fleetop/fuzz.conf", &err) == 0) {
		if (s.nmounts < 1 || s.nmounts > SETTINGS_MAX_MOUNTS || s.interval_ms < 100 ||
		    s.backoff_max_ms < s.backoff_min_ms || s.nidentities > SETTINGS_MAX_IDENTITIES)
			abort();
		for (int i = 0; i < s.nmounts; i++)
			if (s.mounts[i][0] != '/')
				abort();
		if ((s.ssh_config && s.ssh_config[0] != '/' && strcmp(s.ssh_config, "none")) ||
		    (s.known_hosts && s.known_hosts[0] != '/'))
			abort();
	} else if (strncmp(err.msg, "/etc/fleetop/fuzz.conf:", 23) != 0 ||
		   strchr(err.msg, '\n')) {
		abort();
	}
	settings_free(&s);
	free(text);
	return 0;
}
