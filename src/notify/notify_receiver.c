/* One [receiver NAME] of notify.conf: its type names a receiver kind
 * (render_NAME.c), which says which keys it takes and which it needs; the
 * keys every kind shares are read here, then the kind's own build checks
 * what only it has. The endpoint URL and the secret come from the file,
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
#include "fleetop/text.h"
#include "notify_private.h"

static const struct {
	const char *name;
	unsigned flag;
} keys[] = {
	{ "type", RK_TYPE },
	{ "url", RK_URL },           { "url_file", RK_URL },       { "url_env", RK_URL },
	{ "secret", RK_SECRET },     { "secret_file", RK_SECRET }, { "secret_env", RK_SECRET },
	{ "user", RK_USER },         { "from", RK_FROM },          { "to", RK_TO },
	{ "project", RK_PROJECT },   { "issue_type", RK_ISSUE_TYPE },
	{ "command", RK_COMMAND },   { "ca_file", RK_CA_FILE },    { "starttls", RK_STARTTLS },
	{ "send_resolved", RK_SEND_RESOLVED }, { "timeout", RK_TIMEOUT },
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
		   const struct receiver_kind *k, struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv;
	if (one_of(c, s, "url", &kv, err) < 0)
		return -1;
	if (!kv) {
		r->url = xstrdup(k->default_url);
		return 0;
	}
	if (read_value(c, s, kv, &r->url, err) < 0)
		return -1;
	/* Never echo the URL: for webhooks the URL is the secret. */
	const char *from = strcmp(kv->key, "url") ? " (as read)" : "";
	bool http = k->transport == TRANSPORT_HTTP;
	const char *a = http ? "http://" : "smtp://", *b = http ? "https://" : "smtps://";
	size_t scheme = str_starts_with(r->url, a) ? strlen(a)
		      : str_starts_with(r->url, b) ? strlen(b) : 0;
	if (scheme == 0 || r->url[scheme] == '\0')
		return conf_fail(c, s, kv->line, err, "%s%s must start with %s or %s", kv->key,
				 from, a, b);
	if (!str_is_word(r->url))
		return conf_fail(c, s, kv->line, err, "%s%s holds a space or control character",
				 kv->key, from);
	if (k->url_is_secret && !strcmp(kv->key, "url") && c->others_can_read &&
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
bool notify_url_is_loopback(const char *url)
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
			   const struct receiver_kind *k, struct notify_receiver *r,
			   struct error *err)
{
	if (!r->url || notify_url_is_loopback(r->url))
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
			what = k->secret_is ? k->secret_is : "its secret (as a login or a token)";
		else if (k->url_has_token)
			what = "the token in its URL";
		else if (ukv && strcmp(ukv->key, "url") != 0)
			what = "its URL (a secret, read from a file or the environment)";
		if (what)
			return conf_fail(c, s, uline, err, "%s is http://, so %s would cross the "
					 "network in clear text for anyone on the way to read; use "
					 "https:// (plain http is taken only to 127.0.0.1 or ::1, such "
					 "as a local TLS relay)", ukey, what);
	}
	return 0;
}

/* from and to as given: the kind's build says what an address is. */
static int set_addresses(const struct conf_ctx *c, const struct conf_section *s,
			 struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *from = conf_get(s, "from"), *to = conf_get(s, "to");
	if (from)
		r->from = xstrdup(from->value);
	return to ? conf_list(c, s, to, &r->to, &r->nto, err) : 0;
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
		if (!str_is_word(kv->value))
			return conf_fail(c, s, kv->line, err, "project is empty or holds a space");
		r->project = xstrdup(kv->value);
	}
	kv = conf_get(s, "issue_type");
	if (kv && *kv->value == '\0')
		return conf_fail(c, s, kv->line, err, "issue_type is empty");
	if (kv)
		r->issue_type = xstrdup(kv->value);
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

/* Text a person wrote in the file: valid UTF-8 and no control character.
 * Values end up in JSON bodies, mail headers and command lines. */
static bool value_ok(const char *v)
{
	size_t n = strlen(v);
	while (n > 0) {
		uint32_t cp;
		size_t k = utf8_decode(v, n, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return false;
		v += k;
		n -= k;
	}
	return true;
}

static int check_keys(const struct conf_ctx *c, const struct conf_section *s,
		      const struct receiver_kind *k, struct error *err)
{
	unsigned have = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!value_ok(s->kv[i].value))
			return conf_fail(c, s, s->kv[i].line, err, "%s holds a control character or "
					 "bytes that are not UTF-8", s->kv[i].key);
		unsigned f = key_flag(s->kv[i].key);
		if (!f)
			return conf_fail(c, s, s->kv[i].line, err, "unknown key '%.40s'",
					 s->kv[i].key);
		if (!(k->takes & f))
			return conf_fail(c, s, s->kv[i].line, err, "'%s' does not apply to type %s",
					 s->kv[i].key, k->name);
		have |= f;
	}
	unsigned missing = k->needs & ~have;
	if (missing) {
		unsigned f = missing & -missing;
		const char *how = f == RK_URL ? " (or url_file, url_env)"
			     : f == RK_SECRET ? " (secret_file or secret_env)" : "";
		return conf_fail(c, s, s->line, err, "type %s needs '%s'%s", k->name, flag_key(f),
				 how);
	}
	/* Basic auth needs both halves. */
	if ((have & RK_USER) && !(have & RK_SECRET))
		return conf_fail(c, s, conf_get(s, "user")->line, err,
				 "user is set but no secret_file or secret_env (the password)");
	return 0;
}

int notify_receiver_build(const struct conf_ctx *c, const struct conf_section *s,
			  struct notify_receiver *r, struct error *err)
{
	memset(r, 0, sizeof *r);
	const struct conf_kv *tkv = conf_get(s, "type");
	if (!tkv)
		return conf_fail(c, s, s->line, err, "needs 'type' (%s)", receiver_kind_names());
	const struct receiver_kind *k = receiver_kind_find(tkv->value);
	if (!k)
		return conf_fail(c, s, tkv->line, err, "unknown type '%.40s'; expected %s",
				 tkv->value, receiver_kind_names());
	r->name = xstrdup(s->name);
	r->kind = k;
	r->file = xstrdup(c->name);
	r->line = s->line;
	r->send_resolved = k->send_resolved;
	if (check_keys(c, s, k, err) < 0 || set_misc(c, s, r, err) < 0 ||
	    set_addresses(c, s, r, err) < 0 ||
	    (k->transport != TRANSPORT_COMMAND && set_url(c, s, k, r, err) < 0) ||
	    set_secret(c, s, r, err) < 0 || (k->build && k->build(c, s, r, err) < 0) ||
	    check_transport(c, s, k, r, err) < 0) {
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
