/* What the simulator writes for a console to use it: the inventory
 * (fleet.conf), the host keys (known_hosts) and settings that point at
 * them with paths relative to the directory (fleetop.conf). Rewritten on
 * every start, each atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_private.h"

static int write_file(const struct sim *s, const char *name, const struct buf *b, int mode,
		      struct error *err)
{
	char *path = xasprintf("%s/%s", s->dir, name);
	int rc = file_write_atomic(path, b->data ? b->data : "", b->len, mode, err);
	free(path);
	return rc;
}

static const char *game_name(enum sim_game g)
{
	return g == GAME_MINECRAFT ? "minecraft" : g == GAME_QUAKE ? "quake3" : "valheim";
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
	const char *group = NULL;
	for (int i = 0; i < s->nhosts; i++) {
		const struct sim_host *h = &s->hosts[i];
		if (!group || strcmp(group, h->group) != 0) {
			/* Hosts come grouped: a section per run of one group. */
			if (group) {
				const struct sim_host *prev = &s->hosts[i - 1];
				buf_printf(&b, "\n[%s:vars]\ngame=%s\n", group, game_name(prev->game));
			}
			group = h->group;
			buf_printf(&b, "\n[%s]\n", group);
		}
		buf_printf(&b, "%s ansible_host=%s ansible_port=%d\n", h->name, h->addr, h->port);
	}
	if (group)
		buf_printf(&b, "\n[%s:vars]\ngame=%s\n", group, game_name(s->hosts[s->nhosts - 1].game));
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

int sim_files_write(struct sim *s, struct error *err)
{
	/* The inventory last: whoever waits for the simulator can wait for it. */
	if (write_known_hosts(s, err) < 0 || write_settings(s, err) < 0 ||
	    write_inventory(s, err) < 0)
		return -1;
	return 0;
}
