/* One [receiver NAME] of notify.conf: its type says which keys it takes
 * and which it needs; the endpoint URL and the secret come from the file,
 * a 0600 file or the environment. A URL may be a secret itself (Discord,
 * Slack, Teams webhooks), so no message here ever shows one. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fleetop/settings.h"
#include "notify_private.h"

enum {
	K_TYPE = 1 << 0,
	K_URL = 1 << 1,          /* url, url_file, url_env */
	K_SECRET = 1 << 2,       /* secret, secret_file, secret_env */
	K_USER = 1 << 3,
	K_FROM = 1 << 4,
	K_TO = 1 << 5,
	K_PROJECT = 1 << 6,
	K_ISSUE_TYPE = 1 << 7,
	K_COMMAND = 1 << 8,
	K_CA_FILE = 1 << 9,
	K_STARTTLS = 1 << 10,
	K_SEND_RESOLVED = 1 << 11,
	K_TIMEOUT = 1 << 12,
};

static const struct {
	const char *name;
	unsigned flag;
} keys[] = {
	{ "type", K_TYPE },
	{ "url", K_URL },           { "url_file", K_URL },       { "url_env", K_URL },
	{ "secret", K_SECRET },     { "secret_file", K_SECRET }, { "secret_env", K_SECRET },
	{ "user", K_USER },         { "from", K_FROM },          { "to", K_TO },
	{ "project", K_PROJECT },   { "issue_type", K_ISSUE_TYPE },
	{ "command", K_COMMAND },   { "ca_file", K_CA_FILE },    { "starttls", K_STARTTLS },
	{ "send_resolved", K_SEND_RESOLVED }, { "timeout", K_TIMEOUT },
};

#define K_ALL_HTTP (K_TYPE | K_URL | K_CA_FILE | K_SEND_RESOLVED | K_TIMEOUT)

static const struct type_info {
	enum receiver_type type;
	unsigned takes, needs;
	const char *default_url; /* NULL: url is needed */
	const char *schemes;     /* "http" or "smtp" */
	bool url_is_secret;      /* the URL alone lets anyone post */
	bool send_resolved;      /* default, as Alertmanager's for its kind */
} types[] = {
	{ RECV_DISCORD, K_ALL_HTTP, K_URL, NULL, "http", true, true },
	{ RECV_SLACK, K_ALL_HTTP, K_URL, NULL, "http", true, true },
	{ RECV_TEAMS, K_ALL_HTTP, K_URL, NULL, "http", true, true },
	{ RECV_PAGERDUTY, K_ALL_HTTP | K_SECRET, K_SECRET,
	  "https://events.pagerduty.com/v2/enqueue", "http", false, true },
	{ RECV_WEBHOOK, K_ALL_HTTP | K_USER | K_SECRET, K_URL, NULL, "http", true, true },
	{ RECV_EMAIL, K_ALL_HTTP | K_USER | K_SECRET | K_FROM | K_TO | K_STARTTLS,
	  K_URL | K_FROM | K_TO, NULL, "smtp", false, false },
	{ RECV_SMS, K_ALL_HTTP | K_USER | K_SECRET | K_FROM | K_TO,
	  K_URL | K_USER | K_SECRET | K_FROM | K_TO, NULL, "http", false, false },
	{ RECV_COMMAND, K_TYPE | K_COMMAND | K_SEND_RESOLVED | K_TIMEOUT, K_COMMAND, NULL, NULL,
	  false, true },
	{ RECV_GITHUB, K_ALL_HTTP | K_SECRET | K_PROJECT, K_SECRET | K_PROJECT,
	  "https://api.github.com", "http", false, false },
	{ RECV_JIRA, K_ALL_HTTP | K_USER | K_SECRET | K_PROJECT | K_ISSUE_TYPE,
	  K_URL | K_USER | K_SECRET | K_PROJECT, NULL, "http", false, false },
};

static unsigned key_flag(const char *key)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, key) == 0)
			return keys[i].flag;
	return 0;
}

static const char *flag_key(unsigned flag)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].flag == flag)
			return keys[i].name;
	return "?";
}

/* The one of name, name_file, name_env that is set (two is an error). */
static int one_of(const struct conf_ctx *c, const struct conf_section *s, const char *base,
		  const struct conf_kv **out, struct error *err)
{
	char file[32], env[32];
	snprintf(file, sizeof file, "%s_file", base);
	snprintf(env, sizeof env, "%s_env", base);
	const struct conf_kv *got[3] = { conf_get(s, base), conf_get(s, file), conf_get(s, env) };
	*out = NULL;
	for (int i = 0; i < 3; i++) {
		if (!got[i])
			continue;
		if (*out) {
			const struct conf_kv *later = (*out)->line > got[i]->line ? *out : got[i];
			const struct conf_kv *first = later == got[i] ? *out : got[i];
			return conf_fail(c, s, later->line, err, "%s and %s (line %d) both set the "
					 "%s; keep one", later->key, first->key, first->line, base);
		}
		*out = got[i];
	}
	return 0;
}

static int read_value(const struct conf_ctx *c, const struct conf_section *s,
		      const struct conf_kv *kv, char **out, struct error *err)
{
	if (str_starts_with(kv->key + strcspn(kv->key, "_"), "_file"))
		return notify_secret_file(c, s, kv, out, err);
	if (str_starts_with(kv->key + strcspn(kv->key, "_"), "_env"))
		return notify_secret_env(c, s, kv, out, err);
	*out = xstrdup(kv->value);
	return 0;
}

static int set_url(const struct conf_ctx *c, const struct conf_section *s,
		   const struct type_info *ti, struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv;
	if (one_of(c, s, "url", &kv, err) < 0)
		return -1;
	if (!kv) {
		r->url = xstrdup(ti->default_url);
		return 0;
	}
	if (read_value(c, s, kv, &r->url, err) < 0)
		return -1;
	/* Never echo the URL: for webhooks the URL is the secret. */
	const char *from = strcmp(kv->key, "url") ? " (as read)" : "";
	bool http = strcmp(ti->schemes, "http") == 0;
	const char *a = http ? "http://" : "smtp://", *b = http ? "https://" : "smtps://";
	size_t scheme = str_starts_with(r->url, a) ? strlen(a)
		      : str_starts_with(r->url, b) ? strlen(b) : 0;
	if (scheme == 0 || r->url[scheme] == '\0')
		return conf_fail(c, s, kv->line, err, "%s%s must start with %s or %s", kv->key,
				 from, a, b);
	if (!str_is_word(r->url))
		return conf_fail(c, s, kv->line, err, "%s%s holds a space or control character",
				 kv->key, from);
	if (ti->url_is_secret && !strcmp(kv->key, "url") && c->others_can_read &&
	    str_starts_with(r->url, "https://"))
		log_warn("%s:%d: [receiver %s] the webhook URL is a secret, and this file is "
			 "readable by others: use url_file or url_env, or chmod 600 %s",
			 c->name, kv->line, s->name, c->name);
	return 0;
}

static int set_secret(const struct conf_ctx *c, const struct conf_section *s,
		      struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv;
	if (one_of(c, s, "secret", &kv, err) < 0)
		return -1;
	if (!kv)
		return 0;
	if (!strcmp(kv->key, "secret") && c->others_can_read)
		return conf_fail(c, s, kv->line, err, "a secret in a file others can read: use "
				 "secret_file or secret_env, or chmod 600 %s", c->name);
	if (read_value(c, s, kv, &r->secret, err) < 0)
		return -1;
	if (!strcmp(kv->key, "secret") && (*r->secret == '\0' || !str_is_word(r->secret)))
		return conf_fail(c, s, kv->line, err, "secret is empty or holds a space");
	return 0;
}

/* The URL's host is this machine (127.0.0.0/8, ::1, localhost): clear
 * text to it crosses no network (a test listener, a local TLS relay). */
static bool url_is_loopback(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	p += 3;
	size_t auth_len = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', auth_len);
	if (at) {
		auth_len -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	char host[256];
	size_t n;
	if (*p == '[') {
		const char *end = memchr(p, ']', auth_len);
		if (!end)
			return false;
		n = (size_t)(end - p - 1);
		p++;
	} else {
		n = strcspn(p, ":/?#");
	}
	if (n == 0 || n >= sizeof host)
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcasecmp(host, "localhost") == 0;
}

/* Credentials never travel in clear text beyond this machine: an http://
 * endpoint that gets a secret (user:password in the URL, a token in it
 * as Discord's, Slack's and Teams' have, a URL kept as a secret, or the
 * receiver's secret as a header or in the body), and SMTP logging in
 * without TLS it insists on, are refused. */
static int check_transport(const struct conf_ctx *c, const struct conf_section *s,
			   const struct type_info *ti, struct notify_receiver *r,
			   struct error *err)
{
	if (!r->url || url_is_loopback(r->url))
		return 0;
	const struct conf_kv *ukv = NULL;
	one_of(c, s, "url", &ukv, err); /* checked already: cannot fail now */
	int uline = ukv ? ukv->line : s->line;
	const char *ukey = ukv ? ukv->key : "url";
	if (str_starts_with(r->url, "http://")) {
		const char *what = NULL;
		size_t auth_len = strcspn(r->url + 7, "/?#");
		if (memchr(r->url + 7, '@', auth_len))
			what = "the user and password in its URL";
		else if (r->secret)
			what = ti->type == RECV_PAGERDUTY ? "its routing key (secret)"
							  : "its secret (as a login or a token)";
		else if (ti->url_is_secret && ti->type != RECV_WEBHOOK)
			what = "the token in its URL";
		else if (ukv && strcmp(ukv->key, "url") != 0)
			what = "its URL (a secret, read from a file or the environment)";
		if (what)
			return conf_fail(c, s, uline, err, "%s is http://, so %s would cross the "
					 "network in clear text for anyone on the way to read; use "
					 "https:// (plain http is taken only to 127.0.0.1 or ::1, such "
					 "as a local TLS relay)", ukey, what);
	}
	if (ti->type == RECV_EMAIL && r->secret && r->starttls < 2 &&
	    str_starts_with(r->url, "smtp://")) {
		const struct conf_kv *tkv = conf_get(s, "starttls");
		return conf_fail(c, s, tkv ? tkv->line : uline, err, "starttls = %s with a password "
				 "(secret): the password would go in clear text whenever the "
				 "server offers no STARTTLS (or someone on the way strips it); use "
				 "starttls = required or an smtps:// URL",
				 r->starttls == 1 ? "try" : "off");
	}
	return 0;
}

/* An address as SMTP takes it: local@domain, no spaces, no <>,;" */
static bool email_ok(const char *v)
{
	const char *at = strrchr(v, '@');
	if (!at || at == v || at[1] == '\0' || !str_is_word(v))
		return false;
	return strpbrk(v, "<>,;\"()[]\\") == NULL;
}

static int set_addresses(const struct conf_ctx *c, const struct conf_section *s,
			 struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *from = conf_get(s, "from"), *to = conf_get(s, "to");
	bool email = r->type == RECV_EMAIL;
	if (from) {
		if (email ? !email_ok(from->value) : !str_is_word(from->value))
			return conf_fail(c, s, from->line, err, "from '%.80s' is not %s", from->value,
					 email ? "an address like fleetop@example.com"
					       : "a number like +15550000");
		r->from = xstrdup(from->value);
	}
	if (!to)
		return 0;
	if (conf_list(c, s, to, &r->to, &r->nto, err) < 0)
		return -1;
	for (size_t i = 0; i < r->nto; i++) {
		if (email ? !email_ok(r->to[i]) : !str_is_word(r->to[i]))
			return conf_fail(c, s, to->line, err, "to: '%.80s' is not %s", r->to[i],
					 email ? "an address like oncall@example.com"
					       : "a number like +15551111");
	}
	if (!email && r->nto != 1)
		return conf_fail(c, s, to->line, err, "to: an sms receiver sends to one number; "
				 "define one receiver per number and name them all in the step");
	return 0;
}

static int set_misc(const struct conf_ctx *c, const struct conf_section *s,
		    struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv;
	if ((kv = conf_get(s, "user"))) {
		if (!str_is_word(kv->value))
			return conf_fail(c, s, kv->line, err, "user is empty or holds a space");
		if (strchr(kv->value, ':'))
			return conf_fail(c, s, kv->line, err, "user must not hold ':'");
		r->user = xstrdup(kv->value);
	}
	if ((kv = conf_get(s, "project"))) {
		const char *v = kv->value;
		bool ok = str_is_word(v);
		if (r->type == RECV_GITHUB) {
			const char *slash = strchr(v, '/');
			ok = ok && slash && slash != v && slash[1] && !strchr(slash + 1, '/');
			for (const char *p = v; ok && *p; p++)
				ok = isalnum((unsigned char)*p) || strchr("_.-/", *p);
		} else {
			for (const char *p = v; ok && *p; p++)
				ok = isalnum((unsigned char)*p) || *p == '_';
		}
		if (!ok)
			return conf_fail(c, s, kv->line, err, "project '%.80s' is not %s", v,
					 r->type == RECV_GITHUB ? "OWNER/REPO" : "a project key like OPS");
		r->project = xstrdup(v);
	}
	kv = conf_get(s, "issue_type");
	if (kv && *kv->value == '\0')
		return conf_fail(c, s, kv->line, err, "issue_type is empty");
	if (r->type == RECV_JIRA)
		r->issue_type = xstrdup(kv ? kv->value : "Bug");
	if ((kv = conf_get(s, "command"))) {
		size_t argc;
		if (notify_split_command(kv->value, &r->argv, &argc) < 0)
			return conf_fail(c, s, kv->line, err, "command has an unterminated quote");
		if (argc == 0)
			return conf_fail(c, s, kv->line, err, "command is empty");
		if (r->argv[0][0] == '~') {
			char *p = path_expand_home(r->argv[0]);
			free(r->argv[0]);
			r->argv[0] = p;
		}
	}
	if ((kv = conf_get(s, "ca_file"))) {
		if (*kv->value == '\0')
			return conf_fail(c, s, kv->line, err, "ca_file is empty");
		r->ca_file = conf_path(c, kv->value);
		if (access(r->ca_file, R_OK) < 0)
			return conf_fail(c, s, kv->line, err, "ca_file %s: cannot read it",
					 r->ca_file);
	}
	r->starttls = 2;
	if ((kv = conf_get(s, "starttls"))) {
		static const char *modes[] = { "off", "try", "required" };
		r->starttls = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(kv->value, modes[i]))
				r->starttls = i;
		if (r->starttls < 0)
			return conf_fail(c, s, kv->line, err, "starttls '%.40s': expected required, "
					 "try or off", kv->value);
	}
	if ((kv = conf_get(s, "send_resolved")) && !parse_bool(kv->value, &r->send_resolved))
		return conf_fail(c, s, kv->line, err, "send_resolved '%.40s': expected true or "
				 "false", kv->value);
	r->timeout_ms = 10000;
	if ((kv = conf_get(s, "timeout"))) {
		if (parse_duration_ms(kv->value, &r->timeout_ms) < 0 || r->timeout_ms < 100 ||
		    r->timeout_ms > 600000)
			return conf_fail(c, s, kv->line, err, "timeout '%.40s': expected a duration "
					 "from 100ms to 10m, like 10s", kv->value);
	}
	return 0;
}

static int check_keys(const struct conf_ctx *c, const struct conf_section *s,
		      const struct type_info *ti, struct error *err)
{
	unsigned have = 0;
	for (size_t i = 0; i < s->n; i++) {
		unsigned f = key_flag(s->kv[i].key);
		if (!f)
			return conf_fail(c, s, s->kv[i].line, err, "unknown key '%.40s'",
					 s->kv[i].key);
		if (!(ti->takes & f))
			return conf_fail(c, s, s->kv[i].line, err, "'%s' does not apply to type %s",
					 s->kv[i].key, receiver_type_name(ti->type));
		have |= f;
	}
	unsigned missing = ti->needs & ~have;
	if (missing) {
		unsigned f = missing & -missing;
		const char *how = f == K_URL ? " (or url_file, url_env)"
			     : f == K_SECRET ? " (secret_file or secret_env)" : "";
		return conf_fail(c, s, s->line, err, "type %s needs '%s'%s",
				 receiver_type_name(ti->type), flag_key(f), how);
	}
	/* Basic auth needs both halves. */
	if ((have & K_USER) && !(have & K_SECRET))
		return conf_fail(c, s, conf_get(s, "user")->line, err,
				 "user is set but no secret_file or secret_env (the password)");
	if (ti->type == RECV_EMAIL && (have & K_SECRET) && !(have & K_USER))
		return conf_fail(c, s, s->line, err, "a password (secret) without a user to log in");
	return 0;
}

int notify_receiver_build(const struct conf_ctx *c, const struct conf_section *s,
			  struct notify_receiver *r, struct error *err)
{
	memset(r, 0, sizeof *r);
	const struct conf_kv *tkv = conf_get(s, "type");
	if (!tkv)
		return conf_fail(c, s, s->line, err, "needs 'type' (discord, slack, teams, "
				 "pagerduty, webhook, email, sms, command, github or jira)");
	const struct type_info *ti = NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(tkv->value, receiver_type_name(types[i].type)))
			ti = &types[i];
	if (!ti)
		return conf_fail(c, s, tkv->line, err, "unknown type '%.40s'; expected discord, "
				 "slack, teams, pagerduty, webhook, email, sms, command, github "
				 "or jira", tkv->value);
	r->name = xstrdup(s->name);
	r->type = ti->type;
	r->file = xstrdup(c->name);
	r->line = s->line;
	r->send_resolved = ti->send_resolved;
	if (check_keys(c, s, ti, err) < 0 || set_misc(c, s, r, err) < 0 ||
	    set_addresses(c, s, r, err) < 0 ||
	    (ti->schemes && set_url(c, s, ti, r, err) < 0) || set_secret(c, s, r, err) < 0 ||
	    check_transport(c, s, ti, r, err) < 0) {
		notify_receiver_free(r);
		return -1;
	}
	return 0;
}

void notify_receiver_free(struct notify_receiver *r)
{
	free(r->name);
	free(r->file);
	if (r->url)
		explicit_bzero(r->url, strlen(r->url));
	free(r->url);
	if (r->secret)
		explicit_bzero(r->secret, strlen(r->secret));
	free(r->secret);
	free(r->user);
	free(r->from);
	conf_strv_free(r->to, r->nto);
	free(r->project);
	free(r->issue_type);
	if (r->argv)
		for (char **a = r->argv; *a; a++)
			free(*a);
	free(r->argv);
	free(r->ca_file);
	memset(r, 0, sizeof *r);
}

int notify_split_command(const char *text, char ***argv, size_t *argc)
{
	*argv = xcalloc(1, sizeof **argv);
	*argc = 0;
	const char *p = text;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		struct buf w = { 0 };
		buf_puts(&w, "");
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					buf_append(&w, p++, 1);
				}
				if (*p != q) {
					buf_free(&w);
					return -1;
				}
				p++;
			} else if (*p == '\\' && p[1]) {
				buf_append(&w, p + 1, 1);
				p += 2;
			} else {
				buf_append(&w, p++, 1);
			}
		}
		*argv = xrealloc(*argv, (*argc + 2) * sizeof **argv);
		(*argv)[(*argc)++] = w.data;
		(*argv)[*argc] = NULL;
	}
}
