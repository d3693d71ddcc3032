/* What a person does to alerts, from the console or `fleetop alerts`:
 * acknowledge, silence, declare maintenance. Each is stored at once and
 * logged in the audit trail with who did it; a running engine picks it up
 * at its next tick. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetop/alert.h"

const char *alert_whoami(void)
{
	static char name[64];
	const char *user = getenv("USER");
	if (user && *user)
		return user;
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return pw->pw_name;
	snprintf(name, sizeof name, "uid %u", (unsigned)getuid());
	return name;
}

struct open_check {
	bool open;
};

static void check_open(void *arg, const struct store_alert *a)
{
	struct open_check *c = arg;
	c->open = strcmp(a->state, "resolved") != 0;
}

int alert_ack_store(struct store *st, int64_t id, const char *who, const char *comment,
		    int64_t now_ms, struct error *err)
{
	struct open_check c = { false };
	int found = store_alert_get(st, id, check_open, &c, err);
	if (found <= 0)
		return found;
	if (!c.open)
		return 0;
	if (store_tx_begin(st, err) < 0)
		return -1;
	if (store_alert_ack(st, id, who, comment, now_ms, err) < 0 ||
	    store_alert_log(st, now_ms, id, who ? "acknowledged" : "unacknowledged",
			    who ? who : alert_whoami(), comment, err) < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st, err) < 0 ? -1 : 1;
}

static int64_t mute_add(struct store *st, enum store_mute_kind kind, const char *what,
			int64_t starts_ms, int64_t ends_ms, const char *who, const char *comment,
			int64_t now_ms, struct error *err)
{
	if (ends_ms <= starts_ms)
		return error_set(err, "the end must come after the start");
	if (store_tx_begin(st, err) < 0)
		return -1;
	int64_t id = store_mute_add(st, kind, what, starts_ms, ends_ms, who, comment, now_ms, err);
	char *detail = xasprintf("%s %lld: %s%s%s", kind == STORE_SILENCE ? "silence" : "maintenance",
				 (long long)id, what, comment ? " - " : "", comment ? comment : "");
	int rc = id < 0 ? -1
		 : store_alert_log(st, now_ms, 0, kind == STORE_SILENCE ? "silenced" : "maintenance",
				   who, detail, err);
	free(detail);
	if (rc < 0) {
		store_tx_rollback(st);
		return -1;
	}
	return store_tx_commit(st, err) < 0 ? -1 : id;
}

int64_t alert_silence_add(struct store *st, const char *matchers, int64_t starts_ms,
			  int64_t ends_ms, const char *who, const char *comment, int64_t now_ms,
			  struct error *err)
{
	struct matcher_set ms = { 0 };
	if (matchers_parse(&ms, matchers, err) < 0)
		return -1;
	bool empty = ms.n == 0;
	char *canon = matchers_format(&ms);
	matchers_free(&ms);
	if (empty) {
		free(canon);
		return error_set(err, "a silence needs at least one matcher (e.g. host=mc-03)");
	}
	int64_t id = mute_add(st, STORE_SILENCE, canon, starts_ms, ends_ms, who, comment, now_ms,
			      err);
	free(canon);
	return id;
}

int64_t alert_maintenance_add(struct store *st, const struct fleet *f, const char *hosts,
			      int64_t starts_ms, int64_t ends_ms, const char *who,
			      const char *comment, int64_t now_ms, struct error *err)
{
	unsigned char *sel = xcalloc(f->nhosts + 1, 1);
	int rc = fleet_select(f, hosts, sel, err);
	free(sel);
	if (rc < 0)
		return -1;
	return mute_add(st, STORE_MAINTENANCE, hosts, starts_ms, ends_ms, who, comment, now_ms,
			err);
}
