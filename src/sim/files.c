/* What the simulator writes for a console to use it: the inventory
 * (fleet.conf), the host keys (known_hosts) and settings that point at
 * them with paths relative to the directory (fleetop.conf). Rewritten on
 * every start, each atomically. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "game.h"
#include "sim_private.h"

#define RCON_PASSWORD_FILE "rcon_password"

static int write_file(const struct sim *s, const char *name, const struct buf *b, int mode,
		      struct error *err)
{
	char *path = xasprintf("%s/%s", s->dir, name);
	int rc = file_write_atomic(path, b->data ? b->data : "", b->len, mode, err);
	free(path);
	return rc;
}

/* A value for fleet.conf: as it is, or double-quoted when it has what
 * the inventory's line splitting would take apart. */
static void put_value(struct buf *b, const char *v)
{
	if (*v && !strpbrk(v, " \t\"'\\#=")) {
		buf_puts(b, v);
		return;
	}
	buf_puts(b, "\"");
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_puts(b, "\\");
		buf_append(b, v, 1);
	}
	buf_puts(b, "\"");
}

/* The host's game server, as host vars: what the collector needs to query
 * it and to find its process and world. Straight to it: a simulated host
 * has no SSH forwarding or perl for the way round. A host that could not
 * have its ports runs no game server and gets none of this, so nothing
 * queries whatever else holds them. */
static void write_game_vars(const struct sim_host *h, const char *pwfile, struct buf *b)
{
	if (!h->query_port)
		return;
	buf_printf(b, " game=%s query_port=%d", gsrv_game_name(h->game), h->query_port);
	if (h->rcon_port) {
		buf_printf(b, " rcon_port=%d rcon_password_file=", h->rcon_port);
		put_value(b, pwfile);
	}
	buf_puts(b, " game_process=");
	put_value(b, gsrv_process_name(h->game));
	buf_printf(b, " game_world=%s query_via=direct", gsrv_world_dir(h->game));
	/* A custom collector, as an admin would add one (fleetop-collectors(7)). */
	buf_puts(b, " custom_command=fleetop-sim-plugins custom_interval=30s");
}

static void write_roles(const struct sim *s, struct buf *b)
{
	if (s->leak_host >= 0)
		buf_printf(b, "# %s leaks memory until its game restarts\n", s->hosts[s->leak_host].name);
	if (s->disk_host >= 0)
		buf_printf(b, "# %s fills a disk until a cleanup\n", s->hosts[s->disk_host].name);
	if (s->flap_host >= 0 && s->flap_every_s > 0)
		buf_printf(b, "# %s drops off for %ds every %ds\n", s->hosts[s->flap_host].name,
			   s->flap_down_s, s->flap_every_s);
}

static int write_inventory(const struct sim *s, struct error *err)
{
	struct buf b = { 0 };
	buf_printf(&b, "# The simulated fleet of `fleetop sim` (%d hosts, seed %llu).\n"
		       "# Rewritten each time the simulator starts.\n",
		   s->nhosts, (unsigned long long)s->seed);
	write_roles(s, &b);
	char absdir[PATH_MAX];
	if (!realpath(s->dir, absdir))
		snprintf(absdir, sizeof absdir, "%s", s->dir);
	char *pwfile = xasprintf("%s/%s", absdir, RCON_PASSWORD_FILE);
	const char *group = NULL;
	for (int i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];
		if (!group || strcmp(group, h->group) != 0) {
			/* Hosts come grouped: a section per run of one group. */
			group = h->group;
			buf_printf(&b, "\n[%s]\n", group);
		}
		buf_printf(&b, "%s ansible_host=%s ansible_port=%d", h->name, h->addr, h->port);
		write_game_vars(h, pwfile, &b);
		buf_puts(&b, "\n");
	}
	free(pwfile);
	bool have_eu = false, have_us = false;
	for (int i = 0; i < s->nhosts; i++) {
		have_eu |= strcmp(s->hosts[i].group, "eu-minecraft") == 0;
		have_us |= strcmp(s->hosts[i].group, "us-minecraft") == 0;
	}
	if (have_eu || have_us)
		buf_printf(&b, "\n[minecraft:children]\n%s%s", have_eu ? "eu-minecraft\n" : "",
			   have_us ? "us-minecraft\n" : "");
	buf_puts(&b, "\n[all:vars]\nansible_user=fleetop\n");
	int rc = write_file(s, "fleet.conf", &b, 0644, err);
	buf_free(&b);
	return rc;
}

static int write_known_hosts(const struct sim *s, struct error *err)
{
	struct buf b = { 0 };
	for (int i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];
		if (h->port == 22)
			buf_printf(&b, "%s ssh-ed25519 %s\n", h->addr, h->pubkey_b64);
		else
			buf_printf(&b, "[%s]:%d ssh-ed25519 %s\n", h->addr, h->port, h->pubkey_b64);
	}
	int rc = write_file(s, "known_hosts", &b, 0644, err);
	buf_free(&b);
	return rc;
}

static int write_settings(const struct sim *s, struct error *err)
{
	struct buf b = { 0 };
	buf_puts(&b, "# Settings for a console watching the simulated fleet: use it with\n"
		     "# FLEETOP_HOME pointing here. Paths are relative to this file.\n"
		     "[ssh]\n"
		     "known_hosts = known_hosts\n"
		     "identity = id_ed25519\n"
		     "# keeps your ~/.ssh/config out of it\n"
		     "config = /dev/null\n"
		     "host_key_policy = strict\n");
	int rc = write_file(s, "fleetop.conf", &b, 0644, err);
	buf_free(&b);
	return rc;
}

int sim_rcon_password_load(struct sim *s, struct error *err)
{
	char *path = xasprintf("%s/%s", s->dir, RCON_PASSWORD_FILE), *text = NULL;
	struct stat st;
	if (stat(path, &st) == 0) {
		/* Kept across runs, like the keys: a console may have it already. */
		if (file_read_all(path, &text, NULL, err) < 0) {
			free(path);
			return -1;
		}
		size_t n = strcspn(text, "\r\n");
		text[n] = '\0';
		if (n) {
			s->rcon_password = text;
			free(path);
			return 0;
		}
		free(text);
	} else if (errno != ENOENT) {
		error_set(err, "sim: %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char pw[21];
	uint64_t x = s->seed ^ 0x72636f6e70617373ull;
	for (size_t i = 0; i < sizeof pw - 1; i++) {
		x = model_hash(x);
		pw[i] = alphabet[x % (sizeof alphabet - 1)];
	}
	pw[sizeof pw - 1] = '\0';
	int rc = file_write_atomic(path, pw, strlen(pw), 0600, err);
	free(path);
	if (rc == 0)
		s->rcon_password = xstrdup(pw);
	return rc;
}

int sim_files_write(struct sim *s, struct error *err)
{
	/* The inventory last: whoever waits for the simulator can wait for it. */
	if (write_known_hosts(s, err) < 0 || write_settings(s, err) < 0 ||
	    write_inventory(s, err) < 0)
		return -1;
	return 0;
}
