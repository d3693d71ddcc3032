/* Custom collector lines on arbitrary bytes: never crashes or leaks; a
 * refused line emits nothing and says why on one line; what is accepted
 * obeys fleetop-collectors(7): prefixed names of the allowed characters,
 * finite values, time stamps in range, a known severity, printable text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/collect.h"
#include "fuzz_check.h"

struct seen {
	int n;
};

static void check_name(const char *s, size_t size, size_t max)
{
	size_t n = strnlen(s, size);
	if (n == 0 || n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			abort();
	}
}

static void emit(void *arg, const struct custom_item *it)
{
	struct seen *seen = arg;
	seen->n++;
	if (it->ts_ms != 0 && (it->ts_ms < 946684800000LL || it->ts_ms > 4102444800000LL))
		abort();
	if (it->kind == CUSTOM_METRIC) {
		check_name(it->metric, sizeof it->metric, 107);
		if (strncmp(it->metric, "custom.", 7) || strstr(it->metric, "..") ||
		    it->metric[strlen(it->metric) - 1] == '.' || it->metric[7] == '.')
			abort();
		if (!isfinite(it->value))
			abort();
	} else if (it->kind == CUSTOM_EVENT) {
		check_name(it->event, sizeof it->event, 63);
		if (strcmp(it->severity, "info") && strcmp(it->severity, "warning") &&
		    strcmp(it->severity, "critical"))
			abort();
		check_text(it->message, sizeof it->message);
	} else {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reading past the line is caught. */
	char *line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	struct seen seen = { 0 };
	struct error err;
	err.msg[0] = '\0';
	int rc = custom_parse_line(line, size, emit, &seen, &err);
	free(line);
	if (rc < 0) {
		if (seen.n != 0 || !err.msg[0] || strchr(err.msg, '\n'))
			abort();
		check_text(err.msg, sizeof err.msg);
		return 0;
	}
	if (rc != seen.n || rc > 256)
		abort();
	return 0;
}
