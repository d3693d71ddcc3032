/* alert: notify.conf (receivers, secrets, policies, inhibit rules). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/notify.h"

static char dir[] = "/tmp/fleetop-notify-conf-XXXXXX";

#define SECRET_URL "https://discord.example/api/webhooks/123/TOPSECRET-url-token"
#define SECRET_KEY "R0UT1NG-KEY-very-secret"

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, int mode)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	setenv("HOME", dir, 1);
	write_file("discord.url", SECRET_URL "\n", 0600);
	write_file("pd.key", SECRET_KEY "\n", 0600);
	write_file("open.key", SECRET_KEY "\n", 0644);
	write_file("mail.pw", "hunter2\n", 0400);
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	setenv("TEST_SMS_TOKEN", "sms-token-123", 1);
	setenv("TEST_GH_TOKEN", "ghp_abc", 1);
	setenv("TEST_EMPTY", "", 1);
	unsetenv("TEST_UNSET");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Loads text as if it were DIR/notify.conf, so relative paths start at DIR. */
static void load_ok(struct notify_config *cfg, const char *text)
{
	struct error err = { { 0 } };
	char *name = path_in("notify.conf");
	if (notify_config_load_string(cfg, text, name, &err) < 0)
		fail_msg("load failed: %s", err.msg);
	free(name);
}

static void load_err(const char *text, int line, const char *want)
{
	struct notify_config cfg;
	struct error err = { { 0 } };
	char *name = path_in("notify.conf");
	assert_int_equal(notify_config_load_string(&cfg, text, name, &err), -1);
	char *prefix = xasprintf("%s:%d: ", name, line);
	if (!str_starts_with(err.msg, prefix) || !strstr(err.msg, want))
		fail_msg("error '%s' does not start with '%s' and say '%s'", err.msg, prefix, want);
	/* Nothing secret in any message. */
	assert_null(strstr(err.msg, "TOPSECRET"));
	assert_null(strstr(err.msg, SECRET_KEY));
	assert_null(strstr(err.msg, "hunter2"));
	assert_null(strstr(err.msg, "sms-token"));
	assert_null(strchr(err.msg, '\n'));
	/* On error the config is empty. */
	assert_null(cfg.receivers);
	assert_int_equal(cfg.nreceivers, 0);
	assert_int_equal(cfg.npolicies, 0);
	assert_int_equal(cfg.ninhibits, 0);
	assert_null(cfg.path);
	free(prefix);
	free(name);
}

static void check_default_policy(const struct notify_policy *p)
{
	assert_int_equal(p->match.n, 0);
	assert_int_equal(p->ngroup_by, 2);
	assert_string_equal(p->group_by[0], "rule");
	assert_string_equal(p->group_by[1], "group");
	assert_int_equal(p->group_wait_ms, 30000);
	assert_int_equal(p->group_interval_ms, 300000);
	assert_int_equal(p->repeat_interval_ms, 4LL * 3600 * 1000);
	assert_int_equal(p->nsteps, 0);
}

static void check_default_inhibit(const struct notify_config *cfg)
{
	assert_int_equal(cfg->ninhibits, 1);
	const struct inhibit_rule *ir = &cfg->inhibits[0];
	assert_string_equal(ir->name, "host-down");
	char *s = matchers_format(&ir->source), *t = matchers_format(&ir->target);
	assert_string_equal(s, "rule=host_unreachable");
	assert_string_equal(t, "rule!=host_unreachable");
	free(s);
	free(t);
	assert_int_equal(ir->nequal, 1);
	assert_string_equal(ir->equal[0], "host");
}

static void test_defaults(void **state)
{
	(void)state;
	struct notify_config cfg;
	struct error err = { { 0 } };
	char *missing = path_in("nope.conf");
	assert_int_equal(notify_config_load(&cfg, missing, true, &err), 0);
	assert_null(cfg.path);
	assert_int_equal(cfg.nreceivers, 0);
	assert_int_equal(cfg.npolicies, 1);
	assert_string_equal(cfg.policies[0].name, "default");
	check_default_policy(&cfg.policies[0]);
	check_default_inhibit(&cfg);
	assert_null(notify_config_receiver(&cfg, "x"));
	notify_config_free(&cfg);
	notify_config_free(&cfg); /* twice is harmless */

	/* Missing and required: an error naming the file. */
	assert_int_equal(notify_config_load(&cfg, missing, false, &err), -1);
	assert_non_null(strstr(err.msg, missing));
	free(missing);

	/* An empty file: the same defaults. */
	load_ok(&cfg, "# nothing yet\n");
	assert_int_equal(cfg.npolicies, 1);
	check_default_policy(&cfg.policies[0]);
	check_default_inhibit(&cfg);
	notify_config_free(&cfg);
}

static const char example[] =
	"[receiver discord-ops]\n"
	"type = discord\n"
	"url_file = discord.url      # relative to notify.conf\n"
	"send_resolved = true\n"
	"timeout = 5s\n"
	"\n"
	"[receiver pd]\n"
	"type = pagerduty\n"
	"url = http://127.0.0.1:9999/v2/enqueue\n"
	"secret_file = ~/pd.key\n"
	"\n"
	"[receiver mail]\n"
	"type = email\n"
	"url = smtp://127.0.0.1:2525\n"
	"starttls = try\n"
	"user = alerts@example.com\n"
	"secret_file = mail.pw\n"
	"from = fleetop@example.com\n"
	"to = oncall@example.com, boss@example.com\n"
	"ca_file = ca.pem\n"
	"\n"
	"[receiver sms]\n"
	"type = sms\n"
	"url = http://127.0.0.1:9999/2010-04-01/Accounts/AC123/Messages.json\n"
	"user = AC123\n"
	"secret_env = TEST_SMS_TOKEN\n"
	"from = +15550000\n"
	"to = +15551111\n"
	"\n"
	"[receiver hook]\n"
	"type = command\n"
	"command = /usr/local/bin/page-me --urgent 'two words' \"say \\\"hi\\\"\"\n"
	"\n"
	"[receiver gh]\n"
	"type = github\n"
	"project = acme/servers\n"
	"secret_env = TEST_GH_TOKEN\n"
	"\n"
	"[receiver jira]\n"
	"type = jira\n"
	"url = https://example.atlassian.net\n"
	"project = OPS\n"
	"user = bot@example.com\n"
	"secret_env = TEST_GH_TOKEN\n"
	"\n"
	"[policy critical]\n"
	"match = severity=critical\n"
	"group_by = rule, group\n"
	"group_wait = 10s\n"
	"group_interval = 1m\n"
	"repeat_interval = 4h\n"
	"step = discord-ops\n"
	"step = 5m mail\n"
	"step = 15m sms, pd\n"
	"\n"
	"[policy eu]\n"
	"match = group=eu, rule=~game_.*\n"
	"group_by = host\n"
	"step = 0s hook\n"
	"\n"
	"[inhibit host-down]\n"
	"source = rule=host_unreachable\n"
	"target = rule!=host_unreachable\n"
	"equal = host\n"
	"\n"
	"[inhibit dc-down]\n"
	"source = rule=dc_down\n"
	"target = rule!=dc_down\n"
	"equal = dc, group\n";

static void test_example(void **state)
{
	(void)state;
	struct notify_config cfg;
	load_ok(&cfg, example);
	assert_int_equal(cfg.nreceivers, 7);

	const struct notify_receiver *r = notify_config_receiver(&cfg, "discord-ops");
	assert_non_null(r);
	assert_ptr_equal(r->kind, receiver_kind_find("discord"));
	assert_string_equal(receiver_kind_name(r->kind), "discord");
	assert_string_equal(r->url, SECRET_URL); /* newline trimmed */
	assert_null(r->secret);
	assert_true(r->send_resolved);
	assert_int_equal(r->timeout_ms, 5000);
	assert_int_equal(r->line, 1);

	r = notify_config_receiver(&cfg, "pd");
	assert_ptr_equal(r->kind, receiver_kind_find("pagerduty"));
	assert_string_equal(r->url, "http://127.0.0.1:9999/v2/enqueue");
	assert_string_equal(r->secret, SECRET_KEY);
	assert_int_equal(r->timeout_ms, 10000);

	r = notify_config_receiver(&cfg, "mail");
	assert_ptr_equal(r->kind, receiver_kind_find("email"));
	assert_string_equal(r->url, "smtp://127.0.0.1:2525");
	assert_int_equal(r->starttls, 1);
	assert_string_equal(r->user, "alerts@example.com");
	assert_string_equal(r->secret, "hunter2");
	assert_string_equal(r->from, "fleetop@example.com");
	assert_int_equal(r->nto, 2);
	assert_string_equal(r->to[0], "oncall@example.com");
	assert_string_equal(r->to[1], "boss@example.com");
	char *ca = path_in("ca.pem");
	assert_string_equal(r->ca_file, ca);
	free(ca);
	assert_false(r->send_resolved); /* email's default, as Alertmanager's */

	r = notify_config_receiver(&cfg, "sms");
	assert_ptr_equal(r->kind, receiver_kind_find("sms"));
	assert_string_equal(r->user, "AC123");
	assert_string_equal(r->secret, "sms-token-123");
	assert_string_equal(r->from, "+15550000");
	assert_int_equal(r->nto, 1);
	assert_string_equal(r->to[0], "+15551111");

	r = notify_config_receiver(&cfg, "hook");
	assert_ptr_equal(r->kind, receiver_kind_find("command"));
	assert_string_equal(r->argv[0], "/usr/local/bin/page-me");
	assert_string_equal(r->argv[1], "--urgent");
	assert_string_equal(r->argv[2], "two words");
	assert_string_equal(r->argv[3], "say \"hi\"");
	assert_null(r->argv[4]);
	assert_null(r->url);

	r = notify_config_receiver(&cfg, "gh");
	assert_ptr_equal(r->kind, receiver_kind_find("github"));
	assert_string_equal(r->url, "https://api.github.com");
	assert_string_equal(r->project, "acme/servers");
	assert_string_equal(r->secret, "ghp_abc");

	r = notify_config_receiver(&cfg, "jira");
	assert_ptr_equal(r->kind, receiver_kind_find("jira"));
	assert_string_equal(r->project, "OPS");
	assert_string_equal(r->issue_type, "Bug");
	assert_string_equal(r->user, "bot@example.com");

	/* Two policies and the catch-all appended after them. */
	assert_int_equal(cfg.npolicies, 3);
	const struct notify_policy *p = &cfg.policies[0];
	assert_string_equal(p->name, "critical");
	assert_int_equal(p->line, 46);
	char *m = matchers_format(&p->match);
	assert_string_equal(m, "severity=critical");
	free(m);
	assert_int_equal(p->group_wait_ms, 10000);
	assert_int_equal(p->group_interval_ms, 60000);
	assert_int_equal(p->repeat_interval_ms, 4LL * 3600 * 1000);
	assert_int_equal(p->nsteps, 3);
	assert_int_equal(p->steps[0].after_ms, 0);
	assert_int_equal(p->steps[0].nreceivers, 1);
	assert_string_equal(p->steps[0].receivers[0], "discord-ops");
	assert_int_equal(p->steps[1].after_ms, 5 * 60000);
	assert_string_equal(p->steps[1].receivers[0], "mail");
	assert_int_equal(p->steps[2].after_ms, 15 * 60000);
	assert_int_equal(p->steps[2].nreceivers, 2);
	assert_string_equal(p->steps[2].receivers[0], "sms");
	assert_string_equal(p->steps[2].receivers[1], "pd");

	p = &cfg.policies[1];
	assert_string_equal(p->name, "eu");
	assert_int_equal(p->match.n, 2);
	assert_int_equal(p->ngroup_by, 1);
	assert_string_equal(p->group_by[0], "host");
	assert_int_equal(p->group_wait_ms, 30000); /* defaults where not set */
	assert_int_equal(p->nsteps, 1);
	assert_int_equal(p->steps[0].after_ms, 0);
	assert_string_equal(p->steps[0].receivers[0], "hook");

	assert_string_equal(cfg.policies[2].name, "default");
	check_default_policy(&cfg.policies[2]);

	/* The file's inhibit rules replace the default. */
	assert_int_equal(cfg.ninhibits, 2);
	assert_string_equal(cfg.inhibits[1].name, "dc-down");
	assert_int_equal(cfg.inhibits[1].nequal, 2);
	assert_string_equal(cfg.inhibits[1].equal[1], "group");

	/* The policies decide by matchers over an alert's labels. */
	struct alert_label crit[] = { { "severity", "critical" }, { "group", "eu" } };
	assert_true(matchers_match(&cfg.policies[0].match, crit, 2));
	struct alert_label game[] = { { "rule", "game_down" }, { "group", "eu" } };
	assert_false(matchers_match(&cfg.policies[0].match, game, 2));
	assert_true(matchers_match(&cfg.policies[1].match, game, 2));
	notify_config_free(&cfg);
}

static void test_load_file(void **state)
{
	(void)state;
	/* A file others may read is fine with secrets kept elsewhere. */
	write_file("notify.conf", example, 0644);
	struct notify_config cfg;
	struct error err = { { 0 } };
	char *p = path_in("notify.conf");
	assert_int_equal(notify_config_load(&cfg, p, false, &err), 0);
	assert_string_equal(cfg.path, p);
	assert_int_equal(cfg.nreceivers, 7);
	assert_string_equal(notify_config_receiver(&cfg, "pd")->secret, SECRET_KEY);
	notify_config_free(&cfg);

	/* A secret written in the file itself: only when the file is private. */
	static const char inline_secret[] = "[receiver pd]\ntype = pagerduty\nsecret = abc\n";
	write_file("notify.conf", inline_secret, 0644);
	assert_int_equal(notify_config_load(&cfg, p, false, &err), -1);
	assert_true(str_starts_with(err.msg, p));
	assert_non_null(strstr(err.msg, ":3: [receiver pd] a secret in a file others can read"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_null(strstr(err.msg, "abc"));
	write_file("notify.conf", inline_secret, 0600);
	assert_int_equal(notify_config_load(&cfg, p, false, &err), 0);
	assert_string_equal(cfg.receivers[0].secret, "abc");
	notify_config_free(&cfg);

	/* Writable by others: refused, whatever it holds (a command receiver
	 * in it would run as us). */
	write_file("notify.conf", example, 0664);
	assert_int_equal(notify_config_load(&cfg, p, false, &err), -1);
	assert_true(str_starts_with(err.msg, p));
	assert_non_null(strstr(err.msg, "is writable by its group (mode 0664)"));
	assert_non_null(strstr(err.msg, "chmod go-w"));
	assert_null(cfg.receivers);
	write_file("notify.conf", example, 0646);
	assert_int_equal(notify_config_load(&cfg, p, true, &err), -1);
	assert_non_null(strstr(err.msg, "is writable by everyone (mode 0646)"));
	if (geteuid() == 0) {
		write_file("notify.conf", example, 0644);
		assert_int_equal(chown(p, 65534, 65534), 0);
		assert_int_equal(notify_config_load(&cfg, p, false, &err), -1);
		assert_non_null(strstr(err.msg, "is owned by uid 65534, not by you"));
		assert_int_equal(chown(p, 0, 0), 0);
	}
	free(p);
}

static void test_secret_file_refused(void **state)
{
	(void)state;
	/* As OpenSSH refuses a private key others can read. */
	struct notify_config cfg;
	struct error err = { { 0 } };
	char *name = path_in("notify.conf");
	char *open_key = path_in("open.key");
	assert_int_equal(notify_config_load_string(&cfg, "[receiver pd]\ntype = pagerduty\n"
						   "secret_file = open.key\n", name, &err), -1);
	char *want = xasprintf("%s:3: [receiver pd] secret_file: permissions 0644 for %s are too "
			       "open", name, open_key);
	if (!str_starts_with(err.msg, want))
		fail_msg("got '%s'", err.msg);
	char *chmod = xasprintf("chmod 600 %s", open_key);
	assert_non_null(strstr(err.msg, chmod));
	assert_null(strstr(err.msg, SECRET_KEY));
	free(chmod);
	free(want);
	free(open_key);
	free(name);

	load_err("[receiver d]\ntype = discord\nurl_file = open.key\n", 3, "too open");
	load_err("[receiver d]\ntype = discord\nurl_file = missing.url\n", 3,
		 "url_file: cannot open");
	load_err("[receiver d]\ntype = discord\nurl_file = /tmp\n", 3, "is not a regular file");
	write_file("empty.key", "\n\n", 0600);
	load_err("[receiver pd]\ntype = pagerduty\nsecret_file = empty.key\n", 3, "is empty");
	write_file("two.key", "line1\nline2\n", 0600);
	load_err("[receiver pd]\ntype = pagerduty\nsecret_file = two.key\n", 3,
		 "holds more than one line");
}

static void test_secret_env(void **state)
{
	(void)state;
	struct notify_config cfg;
	load_ok(&cfg, "[receiver pd]\ntype = pagerduty\nsecret_env = TEST_SMS_TOKEN\n");
	assert_string_equal(cfg.receivers[0].secret, "sms-token-123");
	assert_string_equal(cfg.receivers[0].url, "https://events.pagerduty.com/v2/enqueue");
	notify_config_free(&cfg);
	load_err("[receiver pd]\ntype = pagerduty\n\nsecret_env = TEST_UNSET\n", 4,
		 "secret_env: environment variable TEST_UNSET is not set");
	load_err("[receiver pd]\ntype = pagerduty\nsecret_env = TEST_EMPTY\n", 3,
		 "environment variable TEST_EMPTY is empty");
	load_err("[receiver pd]\ntype = pagerduty\nsecret_env = 1BAD-NAME\n", 3,
		 "is not an environment variable name");
	setenv("TEST_URL", "ftp://TOPSECRET", 1);
	load_err("[receiver d]\ntype = discord\nurl_env = TEST_URL\n", 3,
		 "url_env (as read) must start with http:// or https://");
	load_err("[receiver d]\ntype = discord\nurl = ftp://TOPSECRET\n", 3,
		 "url must start with http:// or https://");
}

static void test_errors(void **state)
{
	(void)state;
	load_err("type = discord\n", 1, "'type' is outside any section");
	load_err("[receivers x]\n", 1, "unknown section [receivers x]");
	load_err("[receiver]\n", 1, "[receiver] needs a name");
	load_err("[receiver a b]\n", 1, "needs a name");
	load_err("[receiver a]\ntype = discord\nurl = http://x\n[receiver a]\n", 4,
		 "[receiver a] is already defined at line 1");
	load_err("[receiver a]\nurl = http://x\n", 1, "[receiver a] needs 'type'");
	load_err("[receiver a]\ntype = telegram\n", 2, "unknown type 'telegram'");
	/* Found by fuzz_notify_conf: a byte that is not UTF-8 went into Jira's JSON. */
	load_err("[receiver j]\ntype = jira\nurl = https://j\nproject = OPS\nissue_type = \xd8" "Bug\n"
		 "user = u\nsecret_env = HOME\n", 5, "issue_type holds a control character or bytes "
		 "that are not UTF-8");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a\x1b[2J@b.c\nto = b@c.d\n", 4,
		 "from holds a control character");
	load_err("[receiver a]\ntype = discord\nurl = http://x\nurl = http://y\n", 4,
		 "'url' is set twice (first at line 3)");
	load_err("[receiver a]\ntype = discord\nurl = http://x\nurl_env = X\n", 4,
		 "url_env and url (line 3) both set the url");
	load_err("[receiver a]\ntype = discord\nurl = http://x\ncolour = red\n", 4,
		 "unknown key 'colour'");
	load_err("[receiver a]\ntype = discord\nurl = http://x\nto = a@b.c\n", 4,
		 "'to' does not apply to type discord");
	load_err("[receiver a]\ntype = discord\n", 1, "type discord needs 'url' (or url_file");
	load_err("[receiver a]\ntype = pagerduty\n", 1, "type pagerduty needs 'secret'");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nto = a@b.c\n", 1,
		 "type email needs 'from'");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\n", 1,
		 "type email needs 'to'");
	load_err("[receiver a]\ntype = email\nurl = http://x\nfrom = a@b.c\nto = b@c.d\n", 3,
		 "url must start with smtp:// or smtps://");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\nto = b@c.d, nope\n", 5,
		 "to: 'nope' is not an address");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\nto = b@c.d,\n", 5,
		 "to: empty item");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\nto = b@c.d\n"
		 "starttls = maybe\n", 6, "starttls 'maybe': expected required, try or off");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\nto = b@c.d\n"
		 "user = me\n", 6, "user is set but no secret_file or secret_env");
	load_err("[receiver a]\ntype = email\nurl = smtp://x\nfrom = a@b.c\nto = b@c.d\n"
		 "secret_env = TEST_SMS_TOKEN\n", 1, "a password (secret) without a user");
	load_err("[receiver a]\ntype = sms\nurl = http://x\nfrom = +1\nto = +2\n"
		 "secret_env = TEST_SMS_TOKEN\n", 1, "type sms needs 'user'");
	load_err("[receiver a]\ntype = sms\nurl = http://x\nfrom = +1\nto = +2\nuser = AC\n", 1,
		 "type sms needs 'secret'");
	load_err("[receiver a]\ntype = sms\nurl = http://x\nfrom = +1\nto = +2, +3\nuser = AC\n"
		 "secret_env = TEST_SMS_TOKEN\n", 5, "an sms receiver sends to one number");
	load_err("[receiver a]\ntype = github\nsecret_env = TEST_GH_TOKEN\n", 1,
		 "type github needs 'project'");
	load_err("[receiver a]\ntype = github\nproject = acme/x\n", 1, "type github needs 'secret'");
	load_err("[receiver a]\ntype = github\nproject = acme\nsecret_env = TEST_GH_TOKEN\n", 3,
		 "project 'acme' is not OWNER/REPO");
	load_err("[receiver a]\ntype = jira\nurl = https://j\nproject = OPS\n"
		 "secret_env = TEST_GH_TOKEN\n", 1, "type jira needs 'user'");
	load_err("[receiver a]\ntype = jira\nurl = https://j\nuser = u\n"
		 "secret_env = TEST_GH_TOKEN\n", 1, "type jira needs 'project'");
	load_err("[receiver a]\ntype = command\n", 1, "type command needs 'command'");
	load_err("[receiver a]\ntype = command\ncommand = \"\"\n", 3, "command is empty");
	load_err("[receiver a]\ntype = command\ncommand = run 'it\n", 3, "unterminated quote");
	load_err("[receiver a]\ntype = command\ncommand = x\nurl = http://x\n", 4,
		 "'url' does not apply to type command");
	load_err("[receiver a]\ntype = discord\nurl = http://x\ntimeout = soon\n", 4,
		 "timeout 'soon': expected a duration");
	load_err("[receiver a]\ntype = discord\nurl = http://x\nsend_resolved = sure\n", 4,
		 "send_resolved 'sure': expected true or false");
	load_err("[receiver a]\ntype = discord\nurl = http://x\nca_file = nope.pem\n", 4,
		 "ca_file");

	/* Policies. */
	load_err("[policy p]\nstep = nobody\n", 2,
		 "[policy p] step names receiver 'nobody', which is not defined");
	load_err("[receiver a]\ntype = command\ncommand = x\n[policy p]\nstep = 5m a, b\n", 5,
		 "receiver 'b', which is not defined");
	load_err("[receiver a]\ntype = command\ncommand = x\n[policy p]\nstep = 5m a\n"
		 "step = 1m a\n", 6, "steps must be in order of their delay");
	load_err("[policy p]\nstep = 5m\n", 2, "names no receiver");
	load_err("[policy p]\nmatch = severity=~(\n", 2, "match: matcher 'severity=~(': bad regular");
	load_err("[policy p]\ngroup_wait = later\n", 2, "group_wait 'later'");
	load_err("[policy p]\ngroup_interval = 0s\n", 2, "group_interval '0s'");
	load_err("[policy p]\ngroup_by = rule, 9x\n", 2, "group_by: '9x' is not a label name");
	load_err("[policy p]\ngroup_by =\n", 2, "group_by is empty");
	load_err("[policy p]\nreceiver = a\n", 2, "unknown key 'receiver'");
	load_err("[policy all]\n[policy later]\nmatch = a=b\n", 2,
		 "[policy later] can never match: policy 'all' (line 1)");
	/* Inhibit rules. */
	load_err("[inhibit i]\nsource = rule=a\n", 1, "needs 'source' and 'target'");
	load_err("[inhibit i]\nsource = rule=a\ntarget = \n", 3, "target is empty");
	load_err("[inhibit i]\nsource = rule=a\ntarget = rule=~[\n", 3, "bad regular expression");
	load_err("[inhibit i]\nenabled = perhaps\n", 2, "enabled 'perhaps'");
	load_err("[inhibit i]\nwhen = x\n", 2, "unknown key 'when'");
	load_err("[receiver a\n", 1, "no closing ']'");
}

static void test_policies_and_inhibits(void **state)
{
	(void)state;
	struct notify_config cfg;
	/* A catch-all of the file's own: nothing appended. */
	load_ok(&cfg, "[receiver a]\ntype = command\ncommand = x\n"
		      "[policy everything]\ngroup_by = host\nstep = a\n");
	assert_int_equal(cfg.npolicies, 1);
	assert_string_equal(cfg.policies[0].name, "everything");
	assert_int_equal(cfg.policies[0].ngroup_by, 1);
	check_default_inhibit(&cfg);
	notify_config_free(&cfg);

	/* A policy named "default" that is not a catch-all. */
	load_ok(&cfg, "[policy default]\nmatch = severity=info\n");
	assert_int_equal(cfg.npolicies, 2);
	assert_string_equal(cfg.policies[1].name, "(default)");
	assert_int_equal(cfg.policies[1].match.n, 0);
	notify_config_free(&cfg);

	/* The default inhibit rule switched off. */
	load_ok(&cfg, "[inhibit host-down]\nenabled = false\n");
	assert_int_equal(cfg.ninhibits, 0);
	notify_config_free(&cfg);
	load_ok(&cfg, "[inhibit host-down]\nenabled = no\n[inhibit dc]\nsource = rule=dc_down\n"
		      "target = rule!=dc_down\n");
	assert_int_equal(cfg.ninhibits, 1);
	assert_string_equal(cfg.inhibits[0].name, "dc");
	assert_int_equal(cfg.inhibits[0].nequal, 0);
	notify_config_free(&cfg);
}

static void test_receiver_details(void **state)
{
	(void)state;
	struct notify_config cfg;
	load_ok(&cfg, "[receiver w]\ntype = webhook\nurl = http://127.0.0.1:1/hook\n"
		      "send_resolved = false\n"
		      "[receiver m]\ntype = email\nurl = smtps://mail.example.com\nfrom = a@b.c\n"
		      "to = x@y.z\n"
		      "[receiver c]\ntype = command\ncommand = ~/bin/page 'a b'\\ c\n"
		      "[receiver j]\ntype = jira\nurl = https://j\nproject = OPS\nissue_type = Task\n"
		      "user = u@x\nsecret_env = TEST_GH_TOKEN\n");
	const struct notify_receiver *r = notify_config_receiver(&cfg, "w");
	assert_false(r->send_resolved);
	assert_null(r->secret);
	r = notify_config_receiver(&cfg, "m");
	assert_int_equal(r->starttls, 2); /* required unless said */
	assert_null(r->user);
	r = notify_config_receiver(&cfg, "c");
	char *bin = xasprintf("%s/bin/page", dir);
	assert_string_equal(r->argv[0], bin);
	assert_string_equal(r->argv[1], "a b c");
	assert_null(r->argv[2]);
	free(bin);
	assert_string_equal(notify_config_receiver(&cfg, "j")->issue_type, "Task");
	assert_null(notify_config_receiver(&cfg, "nope"));
	notify_config_free(&cfg);
	assert_string_equal(receiver_kind_name(receiver_kind_find("jira")), "jira");
	assert_string_equal(receiver_kind_name(receiver_kind_find("teams")), "teams");
	assert_null(receiver_kind_find("carrier-pigeon"));
	assert_string_equal(receiver_kind_name(NULL), "unknown");
	assert_string_equal(receiver_kind_names(), "discord, slack, teams, pagerduty, webhook, "
			    "email, sms, command, github or jira");
}

/* Credentials in clear text beyond this machine are refused; loopback is
 * not a network, and https/smtps or required STARTTLS are fine. */
static void test_clear_text_refused(void **state)
{
	(void)state;
	struct notify_config cfg;
	const char *clear = "would cross the network in clear text";
	load_err("[receiver d]\ntype = discord\nurl = http://discord.example/api/webhooks/1/TOPSECRET\n",
		 3, "url is http://, so the token in its URL would cross the network in clear");
	load_err("[receiver s]\ntype = slack\n\nurl = http://10.0.0.5/services/T/B/TOPSECRET\n", 4,
		 clear);
	load_err("[receiver w]\ntype = webhook\nurl = http://bot:TOPSECRET@hooks.example/x\n", 3,
		 "the user and password in its URL");
	load_err("[receiver w]\ntype = webhook\nurl = http://hooks.example/x\nsecret_env = TEST_GH_TOKEN\n",
		 3, "its secret (as a login or a token)");
	load_err("[receiver p]\ntype = pagerduty\nurl = http://pd.example/v2/enqueue\nsecret_file = pd.key\n",
		 3, "its routing key");
	load_err("[receiver g]\ntype = github\nurl = http://ghe.example/api\nproject = a/b\n"
		 "secret_env = TEST_GH_TOKEN\n", 3, clear);
	load_err("[receiver j]\ntype = jira\nurl = http://jira.example\nuser = bot\nproject = OPS\n"
		 "secret_env = TEST_GH_TOKEN\n", 3, clear);
	load_err("[receiver t]\ntype = sms\nurl = http://sms.example/Messages.json\nuser = AC1\n"
		 "secret_env = TEST_SMS_TOKEN\nfrom = +1555\nto = +1556\n", 3, clear);
	setenv("TEST_PLAIN_URL", "http://hooks.example/TOPSECRET", 1);
	load_err("[receiver w]\ntype = webhook\nurl_env = TEST_PLAIN_URL\n", 3,
		 "url_env is http://, so its URL (a secret, read from a file or the environment) would cross");
	/* SMTP logging in where STARTTLS may be skipped. */
	load_err("[receiver m]\ntype = email\nurl = smtp://mail.example\nstarttls = try\nuser = u\n"
		 "secret_file = mail.pw\nfrom = a@b.c\nto = d@e.f\n", 4,
		 "starttls = try with a password (secret): the password would go in clear text");
	load_err("[receiver m]\ntype = email\nurl = smtp://mail.example\nuser = u\n"
		 "secret_file = mail.pw\nfrom = a@b.c\nto = d@e.f\nstarttls = off\n", 8,
		 "starttls = off with a password");

	/* Fine: https, smtps, required STARTTLS, no credential, or loopback. */
	static const char *const fine[] = {
		"[receiver d]\ntype = discord\nurl = https://discord.example/api/webhooks/1/x\n",
		"[receiver w]\ntype = webhook\nurl = http://hooks.example/alerts\n",
		"[receiver w]\ntype = webhook\nurl = https://bot:pw@hooks.example/x\n",
		"[receiver w]\ntype = webhook\nurl = http://hooks.example/x?next=a@b\n",
		"[receiver d]\ntype = discord\nurl = http://127.0.0.1:8080/api/webhooks/1/x\n",
		"[receiver d]\ntype = discord\nurl = http://127.9.9.9/api/webhooks/1/x\n",
		"[receiver d]\ntype = discord\nurl = http://[::1]:8080/api/webhooks/1/x\n",
		"[receiver d]\ntype = discord\nurl = http://LOCALHOST/api/webhooks/1/x\n",
		"[receiver w]\ntype = webhook\nurl = http://u:p@localhost:9/x\nsecret_env = TEST_GH_TOKEN\n",
		"[receiver m]\ntype = email\nurl = smtp://mail.example\nuser = u\nsecret_file = mail.pw\n"
		"from = a@b.c\nto = d@e.f\n",
		"[receiver m]\ntype = email\nurl = smtps://mail.example\nstarttls = off\nuser = u\n"
		"secret_file = mail.pw\nfrom = a@b.c\nto = d@e.f\n",
		"[receiver m]\ntype = email\nurl = smtp://mail.example\nstarttls = try\nfrom = a@b.c\n"
		"to = d@e.f\n",
		"[receiver m]\ntype = email\nurl = smtp://127.0.0.1:2525\nstarttls = off\nuser = u\n"
		"secret_file = mail.pw\nfrom = a@b.c\nto = d@e.f\n",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		load_ok(&cfg, fine[i]);
		notify_config_free(&cfg);
	}
	/* Not loopback, whatever the name looks like. */
	load_err("[receiver d]\ntype = discord\nurl = http://127.0.0.1.evil.example/api/webhooks/1/x\n",
		 3, clear);
	load_err("[receiver d]\ntype = discord\nurl = http://localhost@evil.example/x\n", 3,
		 "the user and password in its URL");
	load_err("[receiver d]\ntype = discord\nurl = http://[::2]/x\n", 3, clear);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_secret_file_refused),
		cmocka_unit_test(test_secret_env),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_clear_text_refused),
		cmocka_unit_test(test_policies_and_inhibits),
		cmocka_unit_test(test_receiver_details),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
