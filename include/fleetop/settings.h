/* fleetop.conf: settings in INI form (`key = value` in [sections]), and
 * where fleetop keeps its files (FLEETOP_HOME or XDG). */
#ifndef FLEETOP_SETTINGS_H
#define FLEETOP_SETTINGS_H

#include "fleetop/core.h"

enum host_key_policy {
	HOST_KEY_STRICT,     /* unknown or changed key: refuse (OpenSSH StrictHostKeyChecking=yes) */
	HOST_KEY_ACCEPT_NEW, /* unknown key: learn it; changed: refuse */
	HOST_KEY_OFF,        /* no check at all; only for throwaway test fleets */
};

#define SETTINGS_MAX_MOUNTS 16
#define SETTINGS_MAX_IDENTITIES 8

struct settings {
	/* [ssh] */
	char *ssh_config;      /* NULL (default): as ssh does, ~/.ssh/config, /etc/ssh/ssh_config */
	char *known_hosts;     /* NULL (default): what ssh_config names, else ~/.ssh/known_hosts */
	char *identities[SETTINGS_MAX_IDENTITIES]; /* default none: the agent and libssh's */
	int nidentities;
	enum host_key_policy host_key_policy; /* default strict */
	int64_t connect_timeout_ms; /* TCP + SSH handshake + auth; default 10s */
	int64_t backoff_min_ms;     /* reconnect backoff: first wait; default 1s */
	int64_t backoff_max_ms;     /* cap; default 60s */
	char *user;                 /* default login user when neither inventory nor ssh_config names one */
	/* [collect] */
	int64_t interval_ms;        /* default 1000 */
	char *mounts[SETTINGS_MAX_MOUNTS]; /* default "/" */
	int nmounts;
	int64_t max_series_per_host; /* distinct metric names a host may make; default 1024 */
	/* [store] */
	int64_t retention_raw_ms;   /* default 48h */
	int64_t retention_1m_ms;    /* default 30d */
	int64_t retention_1h_ms;    /* default 2y */
	int64_t flush_interval_ms;  /* default 1000 */
	int64_t store_backlog;      /* samples held while the history cannot be written;
				     * default 1M (24 MiB) */
	/* [ui] */
	char *theme;                /* default "default" */
	/* where files are */
	char *config_dir;           /* fleetop.conf, fleet.conf, ... */
	char *data_dir;             /* fleetop.db, configs/ */
	char *path;                 /* the fleetop.conf read, or NULL when none exists */
};

/* Fills defaults and resolves config_dir/data_dir from FLEETOP_HOME or XDG. */
void settings_init(struct settings *s);
/* Reads path (NULL: config_dir/fleetop.conf, absent is fine). Errors name file:line. */
int settings_load(struct settings *s, const char *path, struct error *err);
int settings_load_string(struct settings *s, const char *text, const char *name, struct error *err);
void settings_free(struct settings *s);
/* config_dir/name or data_dir/name; caller frees. */
char *settings_config_path(const struct settings *s, const char *name);
char *settings_data_path(const struct settings *s, const char *name);
/* name in the folder of the fleetop.conf that was read (-c FILE), else in
 * config_dir: where fleet.conf, rules.conf and notify.conf are looked for. */
char *settings_config_beside(const struct settings *s, const char *name);
/* Expands a leading ~/ to $HOME; caller frees. */
char *path_expand_home(const char *path);

/* A tiny INI reader shared by settings and other [section] key = value files.
 * fn returns 0 to go on, -1 to stop (having set err). */
typedef int (*ini_fn)(void *arg, const char *section, const char *key, const char *value,
		      int line, struct error *err);
int ini_parse(const char *text, const char *name, ini_fn fn, void *arg, struct error *err);
/* The same, and fn is also called at each [section] line with key and value
 * NULL, so a reader can refuse an unknown section even when it is empty.
 * Keys before any [section] come with section "". A value in quotes keeps
 * its spaces, '#' and ';'; otherwise '#' or ';' after a space starts a comment. */
int ini_parse_sections(const char *text, const char *name, ini_fn fn, void *arg,
		       struct error *err);

#endif
