/* Fuzz: rules.conf and the expression language under it. The input is
 * read as a rules file, and each line on its own as an expression; what
 * loads is evaluated on hosts with a few samples of every metric it reads,
 * in each host state, and its summary rendered. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert/expr_private.h"
#include "fuzz_check.h"

#define NOW 1764115200000LL

static void check_result(const struct expr_result *r)
{
	if (r->truth < -1 || r->truth > 1)
		abort();
}

static void run_rules(const struct rule_set *rs)
{
	struct alert_windows *w = alert_windows_new(rs);
	/* Host 1 gets samples (a counter that resets, gaps, a late one; a
	 * dozen, so zscore has a baseline); host 2 none. */
	static const double vals[] = { 5, 80, 95, 0, 1e12, -3, 17.5, 2, 4, 4, 4, 4, -1e300 };
	const int nv = (int)(sizeof vals / sizeof vals[0]);
	for (size_t m = 0; m < rs->nneeds; m++)
		for (int i = 0; i < nv; i++)
			alert_windows_add(w, 1, rs->needs[m].metric, NOW - (nv - i) * 7000, vals[i]);
	if (rs->nneeds)
		alert_windows_add(w, 1, rs->needs[0].metric, NOW - 60000, 1);
	alert_windows_trim(w, NOW);
	struct host h = { .id = 1, .name = "mc-1", .last_sample_ms = NOW - 3000 };
	struct alert_label labels[] = { { "host", "mc-1" }, { "group", "eu" } };
	for (int state = HOST_UNKNOWN; state <= HOST_DOWN; state++) {
		h.state = (enum host_state)state;
		for (uint32_t id = 1; id <= 2; id++) {
			h.id = id;
			struct expr_ctx ctx = { &h, w, NOW, NOW - 90000 };
			for (size_t i = 0; i < rs->n; i++) {
				const struct alert_rule *r = &rs->rules[i];
				struct expr_result res;
				expr_eval(r->expr, &ctx, &res);
				check_result(&res);
				if (r->clear) {
					expr_eval(r->clear, &ctx, &res);
					check_result(&res);
				}
				char *s = rule_render_summary(r, labels, 2, res.value);
				if (!s)
					abort();
				free(s);
			}
		}
	}
	alert_windows_update(w, NULL);
	alert_windows_free(w);
}

static void add_need(void *arg, const char *metric, int64_t window_ms)
{
	struct rule_set *rs = arg;
	if (window_ms < 0 || window_ms > EXPR_MAX_WINDOW_MS || !metric[0])
		abort();
	rs->needs = xrealloc(rs->needs, (rs->nneeds + 1) * sizeof *rs->needs);
	rs->needs[rs->nneeds++] = (struct window_need){ xstrdup(metric), window_ms };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct rule_set rs;
	struct error err;
	if (rules_load_string(&rs, text, "fuzz.conf", &err) == 0) {
		for (size_t i = 0; i < rs.n; i++) {
			const struct alert_rule *r = &rs.rules[i];
			if (!r->expr || !r->name[0] || r->for_ms < 0 || r->keep_firing_for_ms < 0 ||
			    r->severity < SEV_INFO || r->severity > SEV_CRITICAL || !r->summary)
				abort();
			check_text(r->name, strlen(r->name) + 1);
		}
		for (size_t i = 0; i < rs.nneeds; i++)
			if (rs.needs[i].window_ms < 0 || rs.needs[i].window_ms > EXPR_MAX_WINDOW_MS)
				abort();
		run_rules(&rs);
		rules_free(&rs);
	} else {
		if (strncmp(err.msg, "fuzz.conf:", 10) != 0)
			abort();
		check_text(err.msg, sizeof err.msg);
		if (rs.n || rs.rules || rs.needs || rs.path)
			abort();
	}

	/* Every line as an expression of its own. */
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct expr *e = expr_parse(line, &err);
		if (!e) {
			if (!err.msg[0])
				abort();
			check_text(err.msg, sizeof err.msg);
			continue;
		}
		struct alert_rule r = { .name = "x", .expr = e, .summary = "{value}" };
		struct rule_set one = { .rules = &r, .n = 1 };
		expr_metrics(e, add_need, &one);
		run_rules(&one);
		for (size_t i = 0; i < one.nneeds; i++)
			free(one.needs[i].metric);
		free(one.needs);
		expr_free(e);
	}
	free(text);
	return 0;
}
