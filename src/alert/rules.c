/* rules.conf: one [section] a rule, read whole or not at all (a file with
 * one bad rule is refused, so a reload keeps the rules that worked), the
 * shipped defaults, the metrics the rules read (for the window store), and
 * filling a rule's summary template. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "default_rules.h"
#include "expr_private.h"
#include "fleetop/settings.h"

#define RULES_MAX 1000
#define RULE_NAME_MAX 64
#define LABELS_MAX 32
#define LABEL_KEY_MAX 64
#define LABEL_VALUE_MAX 256
#define TEXT_MAX 1024
#define RULE_DURATION_MAX (30LL * 86400 * 1000)
#define DEFAULT_SUMMARY "{host}: {rule} ({value})"

enum rule_key { K_EXPR, K_CLEAR, K_FOR, K_KEEP, K_SEVERITY, K_LABELS, K_SUMMARY, K_HOSTS,
		K_RUNBOOK, K_COUNT };
static const char *const key_names[K_COUNT] = {
	"expr", "clear", "for", "keep_firing_for", "severity", "labels", "summary", "hosts",
	"runbook",
};

struct load {
	struct rule_set *rs;
	const char *name;
	struct alert_rule *cur; /* the rule being read; NULL before the first [section] */
	int key_line[K_COUNT];  /* where each key of cur was set; 0: not yet */
};

static int rule_error(struct load *l, int line, struct error *err, const char *fmt, ...)
	FT_PRINTF(4, 5);
static int rule_error(struct load *l, int line, struct error *err, const char *fmt, ...)
{
	char msg[420];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error_set(err, "%s:%d: [%s] %s", l->name, line, l->cur->name, msg);
}

static void rule_free(struct alert_rule *r)
{
	free(r->name);
	free(r->file);
	free(r->expr_text);
	expr_free(r->expr);
	free(r->clear_text);
	expr_free(r->clear);
	labels_free(r->labels, r->nlabels);
	free(r->summary);
	free(r->scope);
	free(r->runbook);
	memset(r, 0, sizeof *r);
}

void rules_free(struct rule_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nneeds; i++)
		free(rs->needs[i].metric);
	free(rs->needs);
	free(rs->path);
	memset(rs, 0, sizeof *rs);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool label_key_ok(const char *k)
{
	if (!isalpha((unsigned char)k[0]) && k[0] != '_')
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

/* "team=ops, tier=prod" */
static int parse_labels(struct load *l, const char *value, int line, struct error *err)
{
	struct alert_rule *r = l->cur;
	char *copy = xstrdup(value);
	char *save = NULL;
	int rc = 0;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		item = str_trim(item);
		if (*item == '\0')
			continue;
		char *eq = strchr(item, '=');
		if (!eq) {
			rc = rule_error(l, line, err, "label '%.64s' is not key=value", item);
			break;
		}
		*eq = '\0';
		char *k = str_trim(item), *v = str_trim(eq + 1);
		if (!label_key_ok(k) || strlen(k) > LABEL_KEY_MAX)
			rc = rule_error(l, line, err,
					"label name '%.64s' may hold only letters, digits and '_'", k);
		else if (!strcmp(k, "rule") || !strcmp(k, "host") || !strcmp(k, "severity"))
			rc = rule_error(l, line, err, "label '%s' is set by fleetop itself", k);
		else if (*v == '\0')
			rc = rule_error(l, line, err, "label '%s' has no value", k);
		else if (strlen(v) > LABEL_VALUE_MAX)
			rc = rule_error(l, line, err, "label '%s' is longer than %d characters", k,
					LABEL_VALUE_MAX);
		else if (labels_get(r->labels, r->nlabels, k))
			rc = rule_error(l, line, err, "label '%s' is given twice", k);
		else if (r->nlabels == LABELS_MAX)
			rc = rule_error(l, line, err, "more than %d labels", LABELS_MAX);
		if (rc < 0)
			break;
		r->labels = xrealloc(r->labels, (r->nlabels + 1) * sizeof *r->labels);
		r->labels[r->nlabels++] = (struct alert_label){ xstrdup(k), xstrdup(v) };
	}
	free(copy);
	return rc;
}

static int parse_duration(struct load *l, const char *key, const char *value, int line,
			  int64_t *out, struct error *err)
{
	if (parse_duration_ms(value, out) < 0 || *out < 0)
		return rule_error(l, line, err, "%s '%.64s' is not a duration (30s, 5m, 1h)", key,
				  value);
	if (*out > RULE_DURATION_MAX)
		return rule_error(l, line, err, "%s '%.64s' is longer than 30d", key, value);
	return 0;
}

static int parse_expr(struct load *l, const char *key, const char *value, int line,
		      struct expr **out, struct error *err)
{
	struct error e;
	*out = expr_parse(value, &e);
	if (!*out)
		return rule_error(l, line, err, "%s: %s", key, e.msg);
	return 0;
}

static int set_text(struct load *l, const char *key, const char *value, int line, char **out,
		    struct error *err)
{
	if (strlen(value) > TEXT_MAX)
		return rule_error(l, line, err, "%s is longer than %d characters", key, TEXT_MAX);
	*out = xstrdup(value);
	return 0;
}

static int set_key(struct load *l, const char *key, const char *value, int line,
		   struct error *err)
{
	struct alert_rule *r = l->cur;
	int k = 0;
	while (k < K_COUNT && strcmp(key_names[k], key) != 0)
		k++;
	if (k == K_COUNT)
		return rule_error(l, line, err,
				  "unknown key '%.64s' (keys: expr, clear, for, keep_firing_for, "
				  "severity, labels, summary, hosts, runbook)", key);
	if (l->key_line[k])
		return rule_error(l, line, err, "%s is set twice (first on line %d)", key,
				  l->key_line[k]);
	l->key_line[k] = line;
	if (*value == '\0')
		return rule_error(l, line, err, "%s is empty", key);
	if (has_control(value))
		return rule_error(l, line, err, "%s holds a control character", key);
	switch ((enum rule_key)k) {
	case K_EXPR:
		r->expr_text = xstrdup(value);
		return parse_expr(l, key, value, line, &r->expr, err);
	case K_CLEAR:
		r->clear_text = xstrdup(value);
		return parse_expr(l, key, value, line, &r->clear, err);
	case K_FOR:
		return parse_duration(l, key, value, line, &r->for_ms, err);
	case K_KEEP:
		return parse_duration(l, key, value, line, &r->keep_firing_for_ms, err);
	case K_SEVERITY:
		if (alert_severity_parse(value, &r->severity) < 0)
			return rule_error(l, line, err,
					  "unknown severity '%.64s' (info, warning, critical)", value);
		return 0;
	case K_LABELS:
		return parse_labels(l, value, line, err);
	case K_SUMMARY:
		free(r->summary); /* the default */
		r->summary = NULL;
		return set_text(l, key, value, line, &r->summary, err);
	case K_HOSTS:
		return set_text(l, key, value, line, &r->scope, err);
	case K_RUNBOOK:
		return set_text(l, key, value, line, &r->runbook, err);
	case K_COUNT:
		break;
	}
	return 0;
}

static int finish_rule(struct load *l, struct error *err)
{
	if (l->cur && !l->cur->expr)
		return rule_error(l, l->cur->line, err, "has no expr");
	return 0;
}

static bool rule_name_ok(const char *s)
{
	if (!*s || strlen(s) > RULE_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' &&
		    *s != '-')
			return false;
	return true;
}

static int start_rule(struct load *l, const char *section, int line, struct error *err)
{
	struct rule_set *rs = l->rs;
	if (!rule_name_ok(section))
		return error_set(err, "%s:%d: rule name [%.64s] may hold only a-z, 0-9, '_' and "
				 "'-' (at most %d)", l->name, line, section, RULE_NAME_MAX);
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].name, section) == 0)
			return error_set(err, "%s:%d: rule [%s] is defined twice (first on line %d)",
					 l->name, line, section, rs->rules[i].line);
	if (rs->n == RULES_MAX)
		return error_set(err, "%s:%d: more than %d rules", l->name, line, RULES_MAX);
	rs->rules = xrealloc(rs->rules, (rs->n + 1) * sizeof *rs->rules);
	struct alert_rule *r = &rs->rules[rs->n++];
	*r = (struct alert_rule){
		.name = xstrdup(section),
		.file = xstrdup(l->name),
		.line = line,
		.severity = SEV_WARNING,
		.summary = xstrdup(DEFAULT_SUMMARY),
	};
	l->cur = r;
	memset(l->key_line, 0, sizeof l->key_line);
	return 0;
}

static int on_line(void *arg, const char *section, const char *key, const char *value, int line,
		   struct error *err)
{
	struct load *l = arg;
	if (!key) {
		if (finish_rule(l, err) < 0)
			return -1;
		return start_rule(l, section, line, err);
	}
	if (!l->cur)
		return error_set(err, "%s:%d: '%.64s' is outside a [rule] section", l->name, line,
				 key);
	return set_key(l, key, value, line, err);
}

static void add_need(void *arg, const char *metric, int64_t window_ms)
{
	struct rule_set *rs = arg;
	for (size_t i = 0; i < rs->nneeds; i++) {
		if (strcmp(rs->needs[i].metric, metric) == 0) {
			if (window_ms > rs->needs[i].window_ms)
				rs->needs[i].window_ms = window_ms;
			return;
		}
	}
	rs->needs = xrealloc(rs->needs, (rs->nneeds + 1) * sizeof *rs->needs);
	rs->needs[rs->nneeds++] = (struct window_need){ xstrdup(metric), window_ms };
}

static int need_cmp(const void *a, const void *b)
{
	return strcmp(((const struct window_need *)a)->metric,
		      ((const struct window_need *)b)->metric);
}

int rules_load_string(struct rule_set *rs, const char *text, const char *name, struct error *err)
{
	memset(rs, 0, sizeof *rs);
	struct load l = { .rs = rs, .name = name };
	if (ini_parse_sections(text, name, on_line, &l, err) < 0 || finish_rule(&l, err) < 0) {
		rules_free(rs);
		/* The message quotes the file: keep it one printable line. */
		for (char *c = err ? err->msg : NULL; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		return -1;
	}
	for (size_t i = 0; i < rs->n; i++) {
		expr_metrics(rs->rules[i].expr, add_need, rs);
		if (rs->rules[i].clear)
			expr_metrics(rs->rules[i].clear, add_need, rs);
	}
	if (rs->nneeds)
		qsort(rs->needs, rs->nneeds, sizeof *rs->needs, need_cmp);
	rs->path = xstrdup(name);
	return 0;
}

int rules_load_defaults(struct rule_set *rs, struct error *err)
{
	return rules_load_string(rs, default_rules_text, "(defaults)", err);
}

int rules_load_file(struct rule_set *rs, const char *path, bool missing_ok, struct error *err)
{
	memset(rs, 0, sizeof *rs);
	struct stat st;
	if (missing_ok && stat(path, &st) < 0 && errno == ENOENT)
		return rules_load_defaults(rs, err);
	/* Whoever writes it decides what pages whom: nobody else may. */
	char *text = NULL;
	size_t len;
	if (file_read_trusted(path, &text, &len, NULL, err) < 0)
		return -1;
	if (strlen(text) != len) {
		free(text);
		return error_set(err, "%s: holds a NUL byte; is it a text file?", path);
	}
	int rc = rules_load_string(rs, text, path, err);
	free(text);
	return rc;
}

/* ---- summaries ---- */

char *rule_render_summary(const struct alert_rule *r, const struct alert_label *labels,
			  size_t nlabels, double value)
{
	const char *t = r->summary ? r->summary : DEFAULT_SUMMARY;
	struct buf b = { 0 };
	buf_puts(&b, "");
	while (*t) {
		const char *open = strchr(t, '{');
		if (!open) {
			buf_puts(&b, t);
			break;
		}
		buf_append(&b, t, (size_t)(open - t));
		size_t n = strspn(open + 1,
				  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
		if (open[1 + n] != '}' || n == 0 || n > LABEL_KEY_MAX) {
			buf_append(&b, "{", 1);
			t = open + 1;
			continue;
		}
		char key[LABEL_KEY_MAX + 1];
		memcpy(key, open + 1, n);
		key[n] = '\0';
		char num[32];
		const char *v = NULL;
		if (!strcmp(key, "value")) {
			expr_format_value(value, num, sizeof num);
			v = num;
		} else if (!strcmp(key, "rule")) {
			v = r->name;
		} else if (!strcmp(key, "severity")) {
			v = alert_severity_name(r->severity);
		} else {
			v = labels_get(labels, nlabels, key);
			if (!v)
				v = labels_get(r->labels, r->nlabels, key);
		}
		if (v)
			buf_puts(&b, v);
		else
			buf_append(&b, open, n + 2); /* unknown: as written */
		t = open + n + 2;
	}
	return b.data;
}
