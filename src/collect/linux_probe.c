/* The command line that starts the linux probe on a host, and the script
 * text that goes on its stdin. */
#include <stdio.h>
#include <string.h>

#include "fleetop/collect.h"
#include "linux_probe_script.h"

/* Below this the probe's own forks (df, sleep) start to cost the host
 * more than the game it watches. */
#define PROBE_MIN_INTERVAL_MS 100

/* POSIX sh single quotes take everything literally except ' itself, which
 * has to close the quote, be escaped, and reopen it. */
static void append_sh_quoted(struct buf *b, const char *s)
{
	buf_puts(b, " '");
	for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
		buf_append(b, s, (size_t)(q - s));
		buf_puts(b, "'\\''");
	}
	buf_puts(b, s);
	buf_puts(b, "'");
}

char *linux_probe_command(int64_t interval_ms, char *const *mounts, int nmounts)
{
	struct buf b = { 0 };
	if (interval_ms < PROBE_MIN_INTERVAL_MS)
		interval_ms = PROBE_MIN_INTERVAL_MS;
	/* sleep takes seconds: 1500 ms must read "1.5", not "1.500" or "1". */
	buf_printf(&b, "exec /bin/sh -s %s %lld", LINUX_PROBE_MARK, (long long)(interval_ms / 1000));
	int frac = (int)(interval_ms % 1000);
	if (frac) {
		char digits[8];
		snprintf(digits, sizeof digits, "%03d", frac);
		for (size_t n = strlen(digits); n > 0 && digits[n - 1] == '0'; n--)
			digits[n - 1] = '\0';
		buf_printf(&b, ".%s", digits);
	}
	int quoted = 0;
	for (int i = 0; mounts && i < nmounts; i++) {
		if (!mounts[i])
			continue;
		append_sh_quoted(&b, mounts[i]);
		quoted++;
	}
	if (!quoted)
		append_sh_quoted(&b, "/");
	return b.data;
}

const char *linux_probe_script(void)
{
	return linux_probe_text;
}
