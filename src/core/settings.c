/* fleetop.conf: defaults, where files live, and reading [section] key = value. */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetop/settings.h"

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return xstrdup(h);
	/* Daemons started by init may have no $HOME. */
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_dir && *pw->pw_dir)
		return xstrdup(pw->pw_dir);
	return xstrdup("/");
}

char *path_expand_home(const char *path)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		char *home = home_dir();
		size_t n = strlen(home);
		while (n > 1 && home[n - 1] == '/')
			home[--n] = '\0';
		char *out = path[1] ? xasprintf("%s%s", strcmp(home, "/") ? home : "", path + 1)
				    : xstrdup(home);
		free(home);
		return out;
	}
	return xstrdup(path);
}

static char *dir_without_slash(const char *dir)
{
	char *d = path_expand_home(dir);
	size_t n = strlen(d);
	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

/* XDG says a relative $XDG_*_HOME is invalid and must be ignored. */
static char *xdg_dir(const char *env, const char *fallback)
{
	const char *v = getenv(env);
	if (v && v[0] == '/') {
		char *d = dir_without_slash(v);
		char *out = xasprintf("%s/fleetop", strcmp(d, "/") ? d : "");
		free(d);
		return out;
	}
	return path_expand_home(fallback);
}

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof *s);
	/* NULL: as `ssh HOST` does, ~/.ssh/config and /etc/ssh/ssh_config, and
	 * the known_hosts files they name (default ~/.ssh/known_hosts). */
	s->ssh_config = NULL;
	s->known_hosts = NULL;
	s->host_key_policy = HOST_KEY_STRICT;
	s->connect_timeout_ms = 10 * 1000;
	s->backoff_min_ms = 1000;
	s->backoff_max_ms = 60 * 1000;
	s->interval_ms = 1000;
	s->mounts[0] = xstrdup("/");
	s->nmounts = 1;
	s->max_series_per_host = 1024;
	s->retention_raw_ms = 48LL * 3600 * 1000;
	s->retention_1m_ms = 30LL * 86400 * 1000;
	s->retention_1h_ms = 2LL * 365 * 86400 * 1000;
	s->flush_interval_ms = 1000;
	s->store_backlog = 1048576;
	s->theme = xstrdup("default");

	const char *home = getenv("FLEETOP_HOME");
	if (home && *home) {
		s->config_dir = dir_without_slash(home);
		s->data_dir = xstrdup(s->config_dir);
	} else {
		s->config_dir = xdg_dir("XDG_CONFIG_HOME", "~/.config/fleetop");
		s->data_dir = xdg_dir("XDG_DATA_HOME", "~/.local/share/fleetop");
	}
}

void settings_free(struct settings *s)
{
	free(s->ssh_config);
	free(s->known_hosts);
	for (int i = 0; i < s->nidentities; i++)
		free(s->identities[i]);
	free(s->user);
	for (int i = 0; i < s->nmounts; i++)
		free(s->mounts[i]);
	free(s->theme);
	free(s->config_dir);
	free(s->data_dir);
	free(s->path);
	memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *p)
{
	return p ? xstrdup(p) : NULL;
}

static void settings_copy(struct settings *dst, const struct settings *src)
{
	*dst = *src;
	dst->ssh_config = dup_or_null(src->ssh_config);
	dst->known_hosts = dup_or_null(src->known_hosts);
	for (int i = 0; i < src->nidentities; i++)
		dst->identities[i] = xstrdup(src->identities[i]);
	dst->user = dup_or_null(src->user);
	for (int i = 0; i < src->nmounts; i++)
		dst->mounts[i] = xstrdup(src->mounts[i]);
	dst->theme = dup_or_null(src->theme);
	dst->config_dir = dup_or_null(src->config_dir);
	dst->data_dir = dup_or_null(src->data_dir);
	dst->path = dup_or_null(src->path);
}

char *settings_config_path(const struct settings *s, const char *name)
{
	return xasprintf("%s/%s", s->config_dir, name);
}

char *settings_config_beside(const struct settings *s, const char *name)
{
	const char *slash = s->path ? strrchr(s->path, '/') : NULL;
	if (!s->path)
		return settings_config_path(s, name);
	if (!slash)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - s->path), s->path, name);
}

char *settings_data_path(const struct settings *s, const char *name)
{
	return xasprintf("%s/%s", s->data_dir, name);
}

/* ---- reading fleetop.conf ---- */

enum kind {
	K_PATH,     /* one local file; ~/ and relative to the file's folder */
	K_IDENTITY, /* appends; comma list */
	K_POLICY,
	K_DURATION,
	K_WORD,     /* one token without spaces */
	K_MOUNTS,   /* remote absolute paths; replaces the list */
	K_COUNT,    /* a whole number (10k, 2M: powers of 1024) from min to max */
};

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off;
	int64_t min; /* K_DURATION: in ms; K_COUNT: the least number */
	int64_t max; /* K_COUNT: the most; 0: no bound */
};

#define OFF(f) offsetof(struct settings, f)
static const struct key keys[] = {
	{ "ssh", "config", K_PATH, OFF(ssh_config), 0, 0 },
	{ "ssh", "known_hosts", K_PATH, OFF(known_hosts), 0, 0 },
	{ "ssh", "identity", K_IDENTITY, 0, 0, 0 },
	{ "ssh", "host_key_policy", K_POLICY, OFF(host_key_policy), 0, 0 },
	{ "ssh", "connect_timeout", K_DURATION, OFF(connect_timeout_ms), 1, 0 },
	{ "ssh", "backoff_min", K_DURATION, OFF(backoff_min_ms), 1, 0 },
	{ "ssh", "backoff_max", K_DURATION, OFF(backoff_max_ms), 1, 0 },
	{ "ssh", "user", K_WORD, OFF(user), 0, 0 },
	{ "collect", "interval", K_DURATION, OFF(interval_ms), 100, 0 },
	{ "collect", "mounts", K_MOUNTS, 0, 0, 0 },
	{ "collect", "max_series_per_host", K_COUNT, OFF(max_series_per_host), 1, 1000000 },
	{ "store", "retention_raw", K_DURATION, OFF(retention_raw_ms), 1, 0 },
	{ "store", "retention_1m", K_DURATION, OFF(retention_1m_ms), 1, 0 },
	{ "store", "retention_1h", K_DURATION, OFF(retention_1h_ms), 1, 0 },
	{ "store", "flush_interval", K_DURATION, OFF(flush_interval_ms), 1, 0 },
	{ "store", "backlog", K_COUNT, OFF(store_backlog), 1000, 0 },
	{ "ui", "theme", K_WORD, OFF(theme), 0, 0 },
};
static const char *sections[] = { "ssh", "collect", "store", "ui" };

struct load {
	struct settings *s;
	const char *name;
	char *base; /* folder that relative paths start from */
	int line_min, line_max;
};

static void format_ms(int64_t ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, size, "%lldms", (long long)ms);
}

static int resolve_path(struct load *l, const struct key *k, const char *v, int line,
			char **out, struct error *err)
{
	if (*v == '\0')
		return error_set(err, "%s:%d: [%s] %s is empty; expected a file path", l->name, line,
				 k->section, k->name);
	if (v[0] == '~' && v[1] != '/' && v[1] != '\0')
		return error_set(err, "%s:%d: [%s] %s '%s': only ~/ is understood, not ~user/",
				 l->name, line, k->section, k->name, v);
	if (!strcmp(k->name, "config") && !strcmp(v, "none"))
		*out = xstrdup("none"); /* [ssh] config = none: read no ssh_config */
	else if (v[0] == '~')
		*out = path_expand_home(v);
	else if (v[0] == '/')
		*out = xstrdup(v);
	else
		*out = xasprintf("%s/%s", l->base, v);
	return 0;
}

static int set_mounts(struct load *l, const struct key *k, const char *v, int line,
		      struct error *err)
{
	char *copy = xstrdup(v);
	char *list[SETTINGS_MAX_MOUNTS];
	int n = 0;
	int rc = 0;
	for (char *save, *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (t[0] != '/') {
			rc = error_set(err, "%s:%d: [collect] mounts: '%s' is not an absolute path",
				       l->name, line, t);
			break;
		}
		if (n == SETTINGS_MAX_MOUNTS) {
			rc = error_set(err, "%s:%d: [collect] mounts: more than %d paths", l->name,
				       line, SETTINGS_MAX_MOUNTS);
			break;
		}
		list[n++] = t;
	}
	if (rc == 0 && n == 0)
		rc = error_set(err, "%s:%d: [collect] mounts is empty; expected paths like / /data",
			       l->name, line);
	if (rc == 0) {
		struct settings *s = l->s;
		for (int i = 0; i < s->nmounts; i++)
			free(s->mounts[i]);
		for (int i = 0; i < n; i++)
			s->mounts[i] = xstrdup(list[i]);
		s->nmounts = n;
	}
	(void)k;
	free(copy);
	return rc;
}

static int add_identities(struct load *l, const struct key *k, const char *v, int line,
			  struct error *err)
{
	struct settings *s = l->s;
	char *copy = xstrdup(v);
	int rc = 0;
	int added = 0;
	for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = str_trim(t);
		if (*t == '\0')
			continue;
		if (s->nidentities == SETTINGS_MAX_IDENTITIES) {
			rc = error_set(err, "%s:%d: [ssh] identity: more than %d identities", l->name,
				       line, SETTINGS_MAX_IDENTITIES);
			break;
		}
		char *path;
		if (resolve_path(l, k, t, line, &path, err) < 0) {
			rc = -1;
			break;
		}
		s->identities[s->nidentities++] = path;
		added++;
	}
	if (rc == 0 && added == 0)
		rc = error_set(err, "%s:%d: [ssh] identity is empty; expected a key file path",
			       l->name, line);
	free(copy);
	return rc;
}

static int on_setting(void *arg, const char *section, const char *key, const char *value,
		      int line, struct error *err)
{
	struct load *l = arg;
	bool known_section = false;
	for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
		if (strcmp(section, sections[i]) == 0)
			known_section = true;
	if (!known_section) {
		if (*section == '\0')
			return error_set(err, "%s:%d: key '%s' is outside any [section]", l->name,
					 line, key);
		return error_set(err,
				 "%s:%d: unknown section [%s] (known: ssh, collect, store, ui)",
				 l->name, line, section);
	}
	if (!key)
		return 0;

	const struct key *k = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, key) == 0)
			k = &keys[i];
	if (!k) {
		struct buf known = { 0 };
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
			if (strcmp(keys[i].section, section) == 0)
				buf_printf(&known, "%s%s", known.len ? ", " : "", keys[i].name);
		error_set(err, "%s:%d: unknown key '%s' in [%s] (known: %s)", l->name, line, key,
			  section, known.data);
		buf_free(&known);
		return -1;
	}

	struct settings *s = l->s;
	char *field = (char *)s + k->off;
	switch (k->kind) {
	case K_PATH: {
		char *path;
		if (resolve_path(l, k, value, line, &path, err) < 0)
			return -1;
		free(*(char **)field);
		*(char **)field = path;
		return 0;
	}
	case K_IDENTITY:
		return add_identities(l, k, value, line, err);
	case K_MOUNTS:
		return set_mounts(l, k, value, line, err);
	case K_POLICY: {
		enum host_key_policy p;
		if (strcmp(value, "strict") == 0)
			p = HOST_KEY_STRICT;
		else if (strcmp(value, "accept-new") == 0)
			p = HOST_KEY_ACCEPT_NEW;
		else if (strcmp(value, "off") == 0)
			p = HOST_KEY_OFF;
		else
			return error_set(err,
					 "%s:%d: [ssh] host_key_policy '%s': expected strict, "
					 "accept-new or off",
					 l->name, line, value);
		*(enum host_key_policy *)field = p;
		return 0;
	}
	case K_DURATION: {
		int64_t ms;
		if (parse_duration_ms(value, &ms) < 0)
			return error_set(err,
					 "%s:%d: [%s] %s '%s' is not a duration (expected e.g. "
					 "500ms, 10s, 5m, 2h, 30d)",
					 l->name, line, k->section, k->name, value);
		if (ms < k->min) {
			char min[32];
			format_ms(k->min, min, sizeof min);
			return error_set(err, "%s:%d: [%s] %s '%s' is too short: at least %s",
					 l->name, line, k->section, k->name, value, min);
		}
		*(int64_t *)field = ms;
		if (field == (char *)&s->backoff_min_ms)
			l->line_min = line;
		if (field == (char *)&s->backoff_max_ms)
			l->line_max = line;
		return 0;
	}
	case K_COUNT: {
		uint64_t n;
		int64_t max = k->max > 0 ? k->max : INT64_MAX;
		if (parse_size_bytes(value, &n) < 0 || n > INT64_MAX || (int64_t)n < k->min ||
		    (int64_t)n > max) {
			if (k->max > 0)
				return error_set(err, "%s:%d: [%s] %s '%s': expected a whole number "
						 "from %lld to %lld", l->name, line, k->section, k->name,
						 value, (long long)k->min, (long long)k->max);
			return error_set(err, "%s:%d: [%s] %s '%s': expected a whole number of at "
					 "least %lld (e.g. 100000, 500k, 2M)", l->name, line,
					 k->section, k->name, value, (long long)k->min);
		}
		*(int64_t *)field = (int64_t)n;
		return 0;
	}
	case K_WORD:
		if (!str_is_word(value))
			return error_set(err, "%s:%d: [%s] %s '%s': expected one word without spaces",
					 l->name, line, k->section, k->name, value);
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	}
	return 0;
}

int settings_load_string(struct settings *s, const char *text, const char *name,
			 struct error *err)
{
	/* Work on a copy so a bad file leaves the settings as they were. */
	struct settings next;
	settings_copy(&next, s);
	struct load l = { .s = &next, .name = name };
	const char *slash = strrchr(name, '/');
	if (slash == name)
		l.base = xstrdup("/");
	else if (slash)
		l.base = xstrndup(name, (size_t)(slash - name));
	else
		l.base = xstrdup(s->config_dir ? s->config_dir : ".");

	int rc = ini_parse_sections(text, name, on_setting, &l, err);
	if (rc == 0 && next.backoff_max_ms < next.backoff_min_ms) {
		char lo[32], hi[32];
		format_ms(next.backoff_min_ms, lo, sizeof lo);
		format_ms(next.backoff_max_ms, hi, sizeof hi);
		rc = error_set(err, "%s:%d: [ssh] backoff_max %s is less than backoff_min %s", name,
			       l.line_max > l.line_min ? l.line_max : l.line_min, hi, lo);
	}
	free(l.base);
	if (rc < 0) {
		settings_free(&next);
		return -1;
	}
	settings_free(s);
	*s = next;
	return 0;
}

int settings_load(struct settings *s, const char *path, struct error *err)
{
	char *file = path ? xstrdup(path) : settings_config_path(s, "fleetop.conf");
	char *text = NULL;
	size_t len = 0;
	if (!path && access(file, F_OK) < 0 && errno == ENOENT) {
		free(file);
		return 0;
	}
	if (file_read_all(file, &text, &len, err) < 0) {
		free(file);
		return -1;
	}
	if (strlen(text) != len) {
		error_set(err, "%s: contains a NUL byte; not a text file", file);
		free(text);
		free(file);
		return -1;
	}
	int rc = settings_load_string(s, text, file, err);
	free(text);
	if (rc == 0) {
		free(s->path);
		s->path = file;
	} else {
		free(file);
	}
	return rc;
}
