/* Fuzz: notify.conf, then every receiver it defines renders a fixed
 * notification; an input that starts with '{' is instead a notification
 * (outbox JSON) rendered for a fixed set of receivers. Checks: errors are
 * one line naming the file, the invariants the engine relies on (a
 * catch-all policy last, steps name receivers that exist), and every body
 * is valid UTF-8 (and JSON where the service takes JSON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fleetop/notify.h"

#define NAME "/nonexistent-fleetop/notify.conf"

static const char fixed_conf[] =
	"[receiver d]\ntype = discord\nurl = http://127.0.0.1:1/d\n"
	"[receiver s]\ntype = slack\nurl = http://127.0.0.1:1/s\n"
	"[receiver t]\ntype = teams\nurl = http://127.0.0.1:1/t\n"
	"[receiver p]\ntype = pagerduty\nsecret_env = FUZZ_TOKEN\n"
	"[receiver w]\ntype = webhook\nurl = http://127.0.0.1:1/w\n"
	"[receiver m]\ntype = email\nurl = smtp://127.0.0.1:1\nfrom = a@b.c\nto = d@e.f\n"
	"[receiver x]\ntype = sms\nurl = http://127.0.0.1:1/x\nuser = u\nsecret_env = FUZZ_TOKEN\n"
	"from = +1\nto = +2\n"
	"[receiver c]\ntype = command\ncommand = /bin/true\n"
	"[receiver g]\ntype = github\nproject = a/b\nsecret_env = FUZZ_TOKEN\n"
	"[receiver j]\ntype = jira\nurl = http://127.0.0.1:1/j\nproject = P\nuser = u\n"
	"secret_env = FUZZ_TOKEN\n";

static const char fixed_notification[] =
	"{\"key\":\"k\",\"group_key\":\"{rule=\\\"r\\\"}\",\"status\":\"firing\",\"title\":\"t\","
	"\"severity\":\"critical\",\"alerts\":[{\"id\":1,\"host\":\"h\",\"summary\":\"s\","
	"\"labels\":{\"rule\":\"r\"},\"starts_ms\":1}]}";

static void check_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3
			 : (*p >> 3) == 30 ? 4 : 0;
		if (n == 0 || p + n > end)
			abort();
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				abort();
		p += n;
	}
}

static void render_all(const struct notify_config *cfg, const struct notification *n)
{
	for (size_t i = 0; i < cfg->nreceivers; i++) {
		const struct notify_receiver *r = &cfg->receivers[i];
		struct notify_request req;
		struct error err;
		if (notify_render(r, n, &req, &err) < 0)
			abort(); /* a loaded receiver always renders */
		if (!req.body || strlen(req.body) != req.body_len || !req.what)
			abort();
		check_utf8(req.body, req.body_len);
		if (r->kind != receiver_kind_find("email") && r->kind != receiver_kind_find("sms")) {
			cJSON *o = cJSON_Parse(req.body);
			if (!cJSON_IsObject(o))
				abort();
			cJSON_Delete(o);
		}
		if (r->kind == receiver_kind_find("email")) {
			/* Headers: every line ends in CRLF, no bare CR or LF. */
			for (const char *p = req.body; *p; p++)
				if ((*p == '\n' && (p == req.body || p[-1] != '\r')) ||
				    (*p == '\r' && p[1] != '\n'))
					abort();
		}
		notify_request_free(&req);
	}
}

static void check_config(const struct notify_config *cfg)
{
	if (cfg->npolicies == 0 || cfg->policies[cfg->npolicies - 1].match.n != 0)
		abort();
	for (size_t i = 0; i < cfg->npolicies; i++) {
		const struct notify_policy *p = &cfg->policies[i];
		if (i + 1 < cfg->npolicies && p->match.n == 0)
			abort(); /* a catch-all before the end hides the rest */
		for (size_t s = 0; s < p->nsteps; s++) {
			if (p->steps[s].nreceivers == 0 || (s && p->steps[s].after_ms <
								  p->steps[s - 1].after_ms))
				abort();
			for (size_t k = 0; k < p->steps[s].nreceivers; k++)
				if (!notify_config_receiver(cfg, p->steps[s].receivers[k]))
					abort();
		}
	}
	for (size_t i = 0; i < cfg->nreceivers; i++) {
		const struct notify_receiver *r = &cfg->receivers[i];
		if (notify_config_receiver(cfg, r->name) != r)
			abort(); /* names are unique */
		if ((r->kind == receiver_kind_find("command")) != (r->url == NULL))
			abort();
		if (r->kind == receiver_kind_find("sms") && r->nto != 1)
			abort();
		if (r->timeout_ms < 100)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool env_set;
	if (!env_set) {
		setenv("HOME", "/nonexistent-home", 1);
		setenv("FUZZ_TOKEN", "tok", 1);
		setenv("FUZZ_URL", "http://127.0.0.1:1/u", 1);
		env_set = true;
	}
	char *text = xstrndup((const char *)data, size);
	struct notify_config cfg;
	struct notification n;
	struct error err;
	if (text[0] == '{') {
		if (notify_config_load_string(&cfg, fixed_conf, NAME, &err) < 0)
			abort();
		if (notification_from_json(&n, text, &err) == 0) {
			render_all(&cfg, &n);
			char *json = notification_to_json(&n);
			struct notification back;
			if (notification_from_json(&back, json, &err) < 0 ||
			    back.nalerts != n.nalerts)
				abort();
			notification_free(&back);
			free(json);
			notification_free(&n);
		} else if (!str_starts_with(err.msg, "notification: ")) {
			abort();
		}
		notify_config_free(&cfg);
	} else if (notify_config_load_string(&cfg, text, NAME, &err) == 0) {
		check_config(&cfg);
		if (notification_from_json(&n, fixed_notification, &err) < 0)
			abort();
		render_all(&cfg, &n);
		notification_free(&n);
		notify_config_free(&cfg);
	} else if (!str_starts_with(err.msg, NAME ":") || strchr(err.msg, '\n')) {
		abort();
	}
	free(text);
	return 0;
}
