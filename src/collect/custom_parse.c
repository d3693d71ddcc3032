/* Custom collectors: one line a user's command printed, as JSON, turned into
 * metrics or an event. The command is the user's, but what it prints may
 * echo anything (log lines, player names), so every string is checked or
 * cleaned before it reaches the store or a terminal, and a line is taken
 * whole or refused whole: half a line of metrics would be a lie. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetop/collect.h"
#include "game_private.h"

#define NAME_MAX_LEN 100
#define KIND_MAX_LEN 63
#define MAX_METRICS 256
#define PREFIX "custom."
/* 2000-01-01 and 2100-01-01 in unix seconds: a time stamp outside is a bug
 * in the command (a counter, a wrong unit), not a time. */
#define TS_MIN_S 946684800.0
#define TS_MAX_S 4102444800.0
/* Above this a time stamp is milliseconds: as seconds it would be year 5138. */
#define TS_MS_ABOVE 1e11
#define EXCERPT 40

/* Up to EXCERPT bytes of s, printable, "..." when cut: enough to find the
 * culprit in the command's output without pasting 64 KiB into a log line. */
static const char *excerpt(char *out, size_t size, const char *s, size_t n)
{
	/* size is at least EXCERPT + 4 (the bytes, "..." and the NUL). */
	game_text_clean(out, size < EXCERPT + 4 ? size - 3 : EXCERPT + 1, s, n, GAME_COLORS_NONE);
	/* Without colour codes one input byte is one output byte, so a short
	 * output means the input was cut. */
	if (strlen(out) < n)
		strcat(out, "...");
	return out;
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Why s is not a valid name, or NULL. Metric names are dotted paths, so
 * their dots are checked too; event kinds are free-form. */
static const char *check_name(const char *s, size_t max, bool dotted)
{
	size_t n = strlen(s);
	if (n == 0)
		return "is empty";
	if (n > max)
		return dotted ? "is longer than 100 characters" : "is longer than 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]))
			return "has a character other than letters, digits, _ . -";
	if (dotted) {
		if (s[0] == '.' || s[n - 1] == '.')
			return "starts or ends with '.'";
		if (strstr(s, ".."))
			return "has '..'";
	}
	return NULL;
}

static int check_metric_name(const char *name, struct error *err)
{
	const char *why = check_name(name, NAME_MAX_LEN, true);
	if (why) {
		char ex[64];
		return error_set(err, "metric name \"%s\" %s",
				 excerpt(ex, sizeof ex, name, strlen(name)), why);
	}
	return 0;
}

static void metric_full_name(char *out, size_t size, const char *name)
{
	if (str_starts_with(name, PREFIX))
		str_copy(out, name, size);
	else
		snprintf(out, size, PREFIX "%s", name);
}

/* A JSON number (finite) or a boolean (health flags: 1/0). */
static int check_value(const cJSON *v, const char *name, double *out, struct error *err)
{
	char ex[64];
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v) ? 1 : 0;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return error_set(err, "value of metric \"%s\" must be a number",
				 excerpt(ex, sizeof ex, name, strlen(name)));
	if (!isfinite(v->valuedouble))
		return error_set(err, "value of metric \"%s\" is not a finite number",
				 excerpt(ex, sizeof ex, name, strlen(name)));
	*out = v->valuedouble;
	return 0;
}

/* "ts": unix seconds (maybe fractional) or milliseconds; 0 when absent. */
static int check_ts(const cJSON *root, int64_t *ts_ms, struct error *err)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "ts");
	*ts_ms = 0;
	if (!t)
		return 0;
	if (!cJSON_IsNumber(t))
		return error_set(err, "ts must be a number (unix seconds or milliseconds)");
	double v = t->valuedouble;
	if (!isfinite(v))
		return error_set(err, "ts is not a finite number");
	double s = v > TS_MS_ABOVE ? v / 1000 : v;
	if (s < TS_MIN_S || s > TS_MAX_S) {
		/* Whole numbers as written (not 1.7641152e+15): it is usually a
		 * unit mistake, and the digits show which. */
		const char *fmt = v == floor(v) && fabs(v) < 1e20 ? "%.0f" : "%.15g";
		char num[32];
		snprintf(num, sizeof num, fmt, v);
		return error_set(err, "ts %s is not between 2000-01-01 and 2100-01-01 (unix "
				 "seconds or milliseconds)", num);
	}
	*ts_ms = v > TS_MS_ABOVE ? llround(v) : llround(v * 1000);
	return 0;
}

static int parse_metric(const cJSON *root, const cJSON *name, int64_t ts_ms,
			custom_emit_fn emit, void *arg, struct error *err)
{
	if (!cJSON_IsString(name))
		return error_set(err, "metric must be a string (the metric's name)");
	if (check_metric_name(name->valuestring, err) < 0)
		return -1;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "value");
	if (!v) {
		char ex[64];
		return error_set(err, "metric \"%s\" has no value",
				 excerpt(ex, sizeof ex, name->valuestring, strlen(name->valuestring)));
	}
	struct custom_item it;
	memset(&it, 0, sizeof it);
	if (check_value(v, name->valuestring, &it.value, err) < 0)
		return -1;
	it.kind = CUSTOM_METRIC;
	it.ts_ms = ts_ms;
	metric_full_name(it.metric, sizeof it.metric, name->valuestring);
	emit(arg, &it);
	return 1;
}

static int parse_metrics(const cJSON *map, int64_t ts_ms, custom_emit_fn emit, void *arg,
			 struct error *err)
{
	if (!cJSON_IsObject(map))
		return error_set(err, "metrics must be an object of name: number");
	/* Checked whole before anything is emitted. */
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, map) {
		double v;
		if (++n > MAX_METRICS)
			return error_set(err, "metrics has more than %d entries", MAX_METRICS);
		if (check_metric_name(e->string, err) < 0 || check_value(e, e->string, &v, err) < 0)
			return -1;
	}
	cJSON_ArrayForEach(e, map) {
		struct custom_item it;
		memset(&it, 0, sizeof it);
		it.kind = CUSTOM_METRIC;
		it.ts_ms = ts_ms;
		check_value(e, e->string, &it.value, NULL);
		metric_full_name(it.metric, sizeof it.metric, e->string);
		emit(arg, &it);
	}
	return n;
}

static int parse_event(const cJSON *root, const cJSON *kind, int64_t ts_ms, custom_emit_fn emit,
		       void *arg, struct error *err)
{
	static const char *const severities[] = { "info", "warning", "critical" };
	char ex[64];
	struct custom_item it;
	memset(&it, 0, sizeof it);
	if (!cJSON_IsString(kind))
		return error_set(err, "event must be a string (the event's kind)");
	const char *why = check_name(kind->valuestring, KIND_MAX_LEN, false);
	if (why)
		return error_set(err, "event kind \"%s\" %s",
				 excerpt(ex, sizeof ex, kind->valuestring,
					 strlen(kind->valuestring)), why);
	const cJSON *sev = cJSON_GetObjectItemCaseSensitive(root, "severity");
	str_copy(it.severity, "info", sizeof it.severity);
	if (sev) {
		size_t i;
		if (!cJSON_IsString(sev))
			return error_set(err, "severity must be \"info\", \"warning\" or \"critical\"");
		/* Any case: scripts like to shout WARNING. */
		for (i = 0; i < 3; i++)
			if (!strcasecmp(sev->valuestring, severities[i]))
				break;
		if (i == 3)
			return error_set(err, "severity \"%s\" is not info, warning or critical",
					 excerpt(ex, sizeof ex, sev->valuestring,
						 strlen(sev->valuestring)));
		str_copy(it.severity, severities[i], sizeof it.severity);
	}
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (!msg)
		return error_set(err, "event \"%s\" has no message", kind->valuestring);
	if (!cJSON_IsString(msg))
		return error_set(err, "message of event \"%s\" must be a string", kind->valuestring);
	/* Tabs and line breaks become spaces (a stack trace stays readable on
	 * one line); other control bytes and bad UTF-8 become '?'. Only the
	 * head matters: the cleaned text is at most as long as what it cleans. */
	char head[sizeof it.message + 8];
	size_t n = strnlen(msg->valuestring, sizeof head);
	memcpy(head, msg->valuestring, n);
	for (size_t i = 0; i < n; i++)
		if (head[i] == '\t' || head[i] == '\n' || head[i] == '\r' || head[i] == '\v' ||
		    head[i] == '\f')
			head[i] = ' ';
	game_text_clean(it.message, sizeof it.message, head, n, GAME_COLORS_NONE);
	char *t = str_trim(it.message);
	memmove(it.message, t, strlen(t) + 1);
	it.kind = CUSTOM_EVENT;
	it.ts_ms = ts_ms;
	str_copy(it.event, kind->valuestring, sizeof it.event);
	emit(arg, &it);
	return 1;
}

static bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int custom_parse_line(const char *line, size_t len, custom_emit_fn emit, void *arg,
		      struct error *err)
{
	char ex[64];
	if (len > CUSTOM_MAX_LINE)
		return error_set(err, "line is longer than %d bytes", CUSTOM_MAX_LINE);
	size_t i = 0;
	while (i < len && json_space(line[i]))
		i++;
	if (i == len)
		return 0;
	if (line[i] != '{')
		return error_set(err, "line is not a JSON object: \"%s\"",
				 excerpt(ex, sizeof ex, line + i, len - i));
	/* cJSON takes a NUL for whitespace and ends strings at one, so a NUL
	 * would make the line mean less than it says. */
	if (memchr(line + i, '\0', len - i))
		return error_set(err, "line has a NUL byte (at byte %zu)",
				 (size_t)((const char *)memchr(line + i, '\0', len - i) - line) + 1);
	/* A NUL-terminated copy: cJSON is then safe even if it reads one byte
	 * past what it is given (older releases did, CVE-2023-53154). */
	char *copy = xmalloc(len + 1);
	memcpy(copy, line, len);
	copy[len] = '\0';
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(copy, len, &end, false);
	int rc = -1;
	if (!root) {
		size_t at = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : 0;
		error_set(err, "line is not valid JSON (at byte %zu: \"%s\")", at + 1,
			  excerpt(ex, sizeof ex, copy + at, len - at));
		goto out;
	}
	for (const char *p = end; p && p < copy + len; p++)
		if (!json_space(*p)) {
			error_set(err, "line has more after its JSON object: \"%s\"",
				  excerpt(ex, sizeof ex, p, (size_t)(copy + len - p)));
			goto out;
		}
	if (!cJSON_IsObject(root)) {
		error_set(err, "line is not a JSON object");
		goto out;
	}
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(root, "metric");
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, "metrics");
	const cJSON *event = cJSON_GetObjectItemCaseSensitive(root, "event");
	if (!!metric + !!metrics + !!event > 1) {
		error_set(err, "line has more than one of \"metric\", \"metrics\" and \"event\"");
		goto out;
	}
	if (!metric && !metrics && !event) {
		error_set(err, "line has none of \"metric\", \"metrics\" or \"event\"");
		goto out;
	}
	int64_t ts_ms;
	if (check_ts(root, &ts_ms, err) < 0)
		goto out;
	if (metric)
		rc = parse_metric(root, metric, ts_ms, emit, arg, err);
	else if (metrics)
		rc = parse_metrics(metrics, ts_ms, emit, arg, err);
	else
		rc = parse_event(root, event, ts_ms, emit, arg, err);
out:
	cJSON_Delete(root);
	free(copy);
	return rc;
}
