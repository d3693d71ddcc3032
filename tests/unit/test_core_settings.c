/* core: fleetop.conf, where files live, and the INI reader under them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/settings.h"

static char home[] = "/tmp/fleetop-settings-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(home))
		return -1;
	setenv("HOME", home, 1);
	unsetenv("FLEETOP_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", home);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void clear_env(void)
{
	unsetenv("FLEETOP_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
}

static void assert_str_fmt(const char *got, const char *fmt, ...) FT_PRINTF(2, 3);
static void assert_str_fmt(const char *got, const char *fmt, ...)
{
	char want[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_defaults(void **state)
{
	(void)state;
	clear_env();
	struct settings s;
	settings_init(&s);
	assert_str_fmt(s.config_dir, "%s/.config/fleetop", home);
	assert_str_fmt(s.data_dir, "%s/.local/share/fleetop", home);
	/* NULL: libssh reads ssh's own defaults. */
	assert_null(s.ssh_config);
	assert_null(s.known_hosts);
	assert_int_equal(s.nidentities, 0);
	assert_int_equal(s.host_key_policy, HOST_KEY_STRICT);
	assert_int_equal(s.connect_timeout_ms, 10000);
	assert_int_equal(s.backoff_min_ms, 1000);
	assert_int_equal(s.backoff_max_ms, 60000);
	assert_null(s.user);
	assert_int_equal(s.interval_ms, 1000);
	assert_int_equal(s.nmounts, 1);
	assert_string_equal(s.mounts[0], "/");
	assert_int_equal(s.max_series_per_host, 1024);
	assert_int_equal(s.retention_raw_ms, 48LL * 3600 * 1000);
	assert_int_equal(s.retention_1m_ms, 30LL * 86400 * 1000);
	assert_int_equal(s.retention_1h_ms, 730LL * 86400 * 1000);
	assert_int_equal(s.flush_interval_ms, 1000);
	assert_string_equal(s.theme, "default");
	assert_null(s.path);

	/* No fleetop.conf yet: fine, nothing changes. */
	struct error err = { { 0 } };
	assert_int_equal(settings_load(&s, NULL, &err), 0);
	assert_null(s.path);
	assert_int_equal(s.interval_ms, 1000);

	char *p = settings_config_path(&s, "fleet.conf");
	assert_str_fmt(p, "%s/.config/fleetop/fleet.conf", home);
	free(p);
	p = settings_data_path(&s, "fleetop.db");
	assert_str_fmt(p, "%s/.local/share/fleetop/fleetop.db", home);
	free(p);
	settings_free(&s);
	settings_free(&s); /* twice is harmless */
}

static void test_dirs_from_env(void **state)
{
	(void)state;
	struct settings s;
	clear_env();
	setenv("XDG_CONFIG_HOME", "/srv/cfg/", 1);
	setenv("XDG_DATA_HOME", "/srv/data", 1);
	settings_init(&s);
	assert_string_equal(s.config_dir, "/srv/cfg/fleetop");
	assert_string_equal(s.data_dir, "/srv/data/fleetop");
	settings_free(&s);

	/* XDG: a relative path is invalid and ignored. */
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	setenv("XDG_DATA_HOME", "", 1);
	settings_init(&s);
	assert_str_fmt(s.config_dir, "%s/.config/fleetop", home);
	assert_str_fmt(s.data_dir, "%s/.local/share/fleetop", home);
	settings_free(&s);

	/* FLEETOP_HOME wins over XDG and holds both kinds of file. */
	setenv("FLEETOP_HOME", "/srv/fleetop//", 1);
	settings_init(&s);
	assert_string_equal(s.config_dir, "/srv/fleetop");
	assert_string_equal(s.data_dir, "/srv/fleetop");
	char *p = settings_config_path(&s, "fleet.conf");
	assert_string_equal(p, "/srv/fleetop/fleet.conf");
	free(p);
	p = settings_data_path(&s, "configs");
	assert_string_equal(p, "/srv/fleetop/configs");
	free(p);
	settings_free(&s);
	clear_env();
}

static const char *full_conf =
	"# fleetop settings\n"
	"[ssh]\n"
	"config = ssh_config            ; relative to this file's folder\n"
	"known_hosts = ~/kh\n"
	"identity = keys/id_ed25519\n"
	"identity = /abs/id_rsa, ~/id_b\n"
	"host_key_policy = accept-new\n"
	"connect_timeout = 2500ms\n"
	"backoff_min = 2s\n"
	"backoff_max = 1m\n"
	"user = gameops\n"
	"\n"
	"[collect]\n"
	"interval = 100ms\n"
	"mounts = /, /data /srv/games\n"
	"max_series_per_host = 50\n"
	"\n"
	"[store]\n"
	"retention_raw = 12h\n"
	"retention_1m = 7d\n"
	"retention_1h = 1w\n"
	"flush_interval = 5s\n"
	"\n"
	"[ui]\n"
	"theme = \"solarized-dark\"\n";

static void test_full_file_in_fleetop_home(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/fh", home);
	struct error err = { { 0 } };
	assert_int_equal(mkdir_p(dir, 0700, &err), 0);
	char *conf = xasprintf("%s/fleetop.conf", dir);
	assert_int_equal(file_write_atomic(conf, full_conf, strlen(full_conf), 0600, &err), 0);
	setenv("FLEETOP_HOME", dir, 1);
	struct settings s;
	settings_init(&s);
	assert_int_equal(settings_load(&s, NULL, &err), 0);
	assert_string_equal(s.path, conf);
	assert_str_fmt(s.ssh_config, "%s/ssh_config", dir);
	assert_str_fmt(s.known_hosts, "%s/kh", home);
	assert_int_equal(s.nidentities, 3);
	assert_str_fmt(s.identities[0], "%s/keys/id_ed25519", dir);
	assert_string_equal(s.identities[1], "/abs/id_rsa");
	assert_str_fmt(s.identities[2], "%s/id_b", home);
	assert_int_equal(s.host_key_policy, HOST_KEY_ACCEPT_NEW);
	assert_int_equal(s.connect_timeout_ms, 2500);
	assert_int_equal(s.backoff_min_ms, 2000);
	assert_int_equal(s.backoff_max_ms, 60000);
	assert_string_equal(s.user, "gameops");
	assert_int_equal(s.interval_ms, 100);
	assert_int_equal(s.nmounts, 3);
	assert_string_equal(s.mounts[0], "/");
	assert_string_equal(s.mounts[1], "/data");
	assert_string_equal(s.mounts[2], "/srv/games");
	assert_int_equal(s.max_series_per_host, 50);
	assert_int_equal(s.retention_raw_ms, 12LL * 3600 * 1000);
	assert_int_equal(s.retention_1m_ms, 7LL * 86400 * 1000);
	assert_int_equal(s.retention_1h_ms, 7LL * 86400 * 1000);
	assert_int_equal(s.flush_interval_ms, 5000);
	assert_string_equal(s.theme, "solarized-dark");
	assert_string_equal(s.config_dir, dir);
	settings_free(&s);

	/* An explicit path: relative to that file's folder, not FLEETOP_HOME. */
	char *other = xasprintf("%s/other", home);
	assert_int_equal(mkdir_p(other, 0700, &err), 0);
	char *conf2 = xasprintf("%s/my.conf", other);
	const char *text = "[ssh]\nconfig = sub/cfg\n";
	assert_int_equal(file_write_atomic(conf2, text, strlen(text), 0600, &err), 0);
	settings_init(&s);
	assert_int_equal(settings_load(&s, conf2, &err), 0);
	assert_str_fmt(s.ssh_config, "%s/sub/cfg", other);
	assert_string_equal(s.path, conf2);
	/* An explicit file that is missing is an error naming it. */
	char *missing = xasprintf("%s/nope.conf", other);
	assert_int_equal(settings_load(&s, missing, &err), -1);
	assert_non_null(strstr(err.msg, missing));
	assert_string_equal(s.path, conf2);
	settings_free(&s);

	/* A bad fleetop.conf in the config folder is an error, not ignored. */
	text = "[collect]\ninterval = soon\n";
	assert_int_equal(file_write_atomic(conf, text, strlen(text), 0600, &err), 0);
	settings_init(&s);
	assert_int_equal(settings_load(&s, NULL, &err), -1);
	char *want = xasprintf("%s:2: [collect] interval 'soon' is not a duration", conf);
	assert_non_null(strstr(err.msg, want));
	free(want);
	assert_null(s.path);
	settings_free(&s);
	/* A NUL byte means it is not a text file. */
	assert_int_equal(file_write_atomic(conf, "[ui]\0x", 6, 0600, &err), 0);
	settings_init(&s);
	assert_int_equal(settings_load(&s, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
	settings_free(&s);

	clear_env();
	free(missing);
	free(conf2);
	free(other);
	free(conf);
	free(dir);
}

static void load_fails(const char *text, const char *want)
{
	struct settings s;
	settings_init(&s);
	struct error err = { { 0 } };
	int rc = settings_load_string(&s, text, "t.conf", &err);
	if (rc == 0)
		fail_msg("expected '%s' for:\n%s", want, text);
	if (strcmp(err.msg, want) != 0)
		fail_msg("got  '%s'\nwant '%s'", err.msg, want);
	settings_free(&s);
}

static void test_errors(void **state)
{
	(void)state;
	load_fails("[collect]\nintervall = 1s\n",
		   "t.conf:2: unknown key 'intervall' in [collect] (known: interval, mounts, "
		   "max_series_per_host)");
	/* A cap of nothing, of a word or of more than fits in memory is a typo. */
	const char *counts[] = { "0", "-5", "ten", "10x", "1000001", "2M", "99999999999999999999", "" };
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
		char *text = xasprintf("[collect]\nmax_series_per_host = %s\n", counts[i]);
		char *want = xasprintf("t.conf:2: [collect] max_series_per_host '%s': expected a "
				       "whole number from 1 to 1000000", counts[i]);
		load_fails(text, want);
		free(want);
		free(text);
	}
	load_fails("[sssh]\n", "t.conf:1: unknown section [sssh] (known: ssh, collect, store, ui)");
	load_fails("# c\n[ui]\n[UI]\ntheme=x\n",
		   "t.conf:3: unknown section [UI] (known: ssh, collect, store, ui)");
	load_fails("theme = x\n", "t.conf:1: key 'theme' is outside any [section]");
	load_fails("[collect]\ninterval = 50ms\n",
		   "t.conf:2: [collect] interval '50ms' is too short: at least 100ms");
	load_fails("[collect]\ninterval = 1 s\n",
		   "t.conf:2: [collect] interval '1 s' is not a duration (expected e.g. 500ms, "
		   "10s, 5m, 2h, 30d)");
	load_fails("[ssh]\nconnect_timeout = 0\n",
		   "t.conf:2: [ssh] connect_timeout '0' is too short: at least 1ms");
	load_fails("[store]\nretention_raw = forever\n",
		   "t.conf:2: [store] retention_raw 'forever' is not a duration (expected e.g. "
		   "500ms, 10s, 5m, 2h, 30d)");
	load_fails("[ssh]\nhost_key_policy = yes\n",
		   "t.conf:2: [ssh] host_key_policy 'yes': expected strict, accept-new or off");
	load_fails("[ssh]\nbackoff_max = 5s\n\nbackoff_min = 10s\n",
		   "t.conf:4: [ssh] backoff_max 5s is less than backoff_min 10s");
	load_fails("[ssh]\nbackoff_max = 500ms\n",
		   "t.conf:2: [ssh] backoff_max 500ms is less than backoff_min 1s");
	load_fails("[ssh]\nuser = two words\n",
		   "t.conf:2: [ssh] user 'two words': expected one word without spaces");
	load_fails("[ui]\ntheme =\n", "t.conf:2: [ui] theme '': expected one word without spaces");
	load_fails("[ssh]\nconfig =\n", "t.conf:2: [ssh] config is empty; expected a file path");
	load_fails("[ssh]\nknown_hosts = ~bob/kh\n",
		   "t.conf:2: [ssh] known_hosts '~bob/kh': only ~/ is understood, not ~user/");
	load_fails("[ssh]\nidentity = ,\n", "t.conf:2: [ssh] identity is empty; expected a key file path");
	load_fails("[ssh]\nidentity = a,b,c,d\nidentity = e,f,g,h\nidentity = i\n",
		   "t.conf:4: [ssh] identity: more than 8 identities");
	load_fails("[collect]\nmounts = / data\n",
		   "t.conf:2: [collect] mounts: 'data' is not an absolute path");
	load_fails("[collect]\nmounts = , ,\n",
		   "t.conf:2: [collect] mounts is empty; expected paths like / /data");
	load_fails("[collect]\nmounts = /1 /2 /3 /4 /5 /6 /7 /8 /9 /10 /11 /12 /13 /14 /15 /16 /17\n",
		   "t.conf:2: [collect] mounts: more than 16 paths");
	load_fails("[ssh]\nconfig\n", "t.conf:2: expected 'key = value' or '[section]', got 'config'");
	load_fails("[ssh\n", "t.conf:1: section header '[ssh' has no closing ']'");
	load_fails("[ui]\ntheme = \"dark\n", "t.conf:2: unterminated quote in value of 'theme'");
}

static void test_bad_load_changes_nothing(void **state)
{
	(void)state;
	clear_env();
	struct settings s;
	settings_init(&s);
	struct error err;
	assert_int_equal(settings_load_string(&s, "[ssh]\nidentity=/k1\n[collect]\nmounts=/a\n",
					      "/etc/x.conf", &err), 0);
	assert_int_equal(settings_load_string(&s,
					      "[collect]\ninterval=5s\nmounts=/b /c\n"
					      "[ssh]\nidentity=/k2\nuser=x\n[ui]\ntheme=a b\n",
					      "/etc/x.conf", &err), -1);
	assert_string_equal(err.msg, "/etc/x.conf:8: [ui] theme 'a b': expected one word without spaces");
	assert_int_equal(s.interval_ms, 1000);
	assert_int_equal(s.nmounts, 1);
	assert_string_equal(s.mounts[0], "/a");
	assert_int_equal(s.nidentities, 1);
	assert_string_equal(s.identities[0], "/k1");
	assert_null(s.user);
	/* Then a good one: identities add up, mounts are replaced. */
	assert_int_equal(settings_load_string(&s, "[ssh]\nidentity=k2\n[collect]\nmounts=/b\n",
					      "/etc/x.conf", &err), 0);
	assert_int_equal(s.nidentities, 2);
	assert_string_equal(s.identities[1], "/etc/k2");
	assert_int_equal(s.nmounts, 1);
	assert_string_equal(s.mounts[0], "/b");
	settings_free(&s);

	/* A name without a folder: relative paths start at config_dir. */
	settings_init(&s);
	assert_int_equal(settings_load_string(&s, "[ssh]\nconfig=c\n", "inline", &err), 0);
	assert_str_fmt(s.ssh_config, "%s/.config/fleetop/c", home);
	settings_free(&s);
}

static void test_path_expand_home(void **state)
{
	(void)state;
	char *p = path_expand_home("~/a/b");
	assert_str_fmt(p, "%s/a/b", home);
	free(p);
	p = path_expand_home("~");
	assert_string_equal(p, home);
	free(p);
	p = path_expand_home("/x/~/y");
	assert_string_equal(p, "/x/~/y");
	free(p);
	p = path_expand_home("~x");
	assert_string_equal(p, "~x");
	free(p);
	setenv("HOME", "/", 1);
	p = path_expand_home("~/a");
	assert_string_equal(p, "/a");
	free(p);
	unsetenv("HOME"); /* falls back to the passwd entry */
	p = path_expand_home("~/a");
	assert_true(p[0] == '/' && strstr(p, "/a"));
	free(p);
	setenv("HOME", home, 1);
}

/* ---- ini_parse ---- */

struct seen {
	struct buf b;
	int stop_at;
};

static int collect(void *arg, const char *section, const char *key, const char *value,
		   int line, struct error *err)
{
	struct seen *s = arg;
	if (line == s->stop_at)
		return error_set(err, "stop at %d", line);
	if (key)
		buf_printf(&s->b, "%d[%s]%s=<%s>\n", line, section, key, value);
	else
		buf_printf(&s->b, "%d[%s]\n", line, section);
	return 0;
}

static void test_ini(void **state)
{
	(void)state;
	const char *text = "\xef\xbb\xbf"
			   "top = 1\n"
			   "# comment\n"
			   "  ; another\r\n"
			   "\n"
			   "[ one ]  # trailing comment\n"
			   "a=b\n"
			   "  spaced key  =  spaced value  \r\n"
			   "empty =\n"
			   "c = x # comment\n"
			   "d = x#not-a-comment\n"
			   "e = \"quoted # ; kept \\\" and \\\\ \"  ; comment\n"
			   "f = 'single \"q\"'\n"
			   "g = a = b\n"
			   "[two words]\n"
			   "h = ;\n";
	struct seen s = { { 0 }, -1 };
	struct error err = { { 0 } };
	assert_int_equal(ini_parse(text, "x.ini", collect, &s, &err), 0);
	assert_string_equal(s.b.data, "1[]top=<1>\n"
				      "6[one]a=<b>\n"
				      "7[one]spaced key=<spaced value>\n"
				      "8[one]empty=<>\n"
				      "9[one]c=<x>\n"
				      "10[one]d=<x#not-a-comment>\n"
				      "11[one]e=<quoted # ; kept \" and \\ >\n"
				      "12[one]f=<single \"q\">\n"
				      "13[one]g=<a = b>\n"
				      "15[two words]h=<>\n");
	buf_reset(&s.b);
	assert_int_equal(ini_parse_sections(text, "x.ini", collect, &s, &err), 0);
	assert_non_null(strstr(s.b.data, "5[one]\n6[one]a=<b>\n"));
	assert_non_null(strstr(s.b.data, "14[two words]\n"));

	/* The callback stops the parse with its own message. */
	buf_reset(&s.b);
	s.stop_at = 7;
	assert_int_equal(ini_parse(text, "x.ini", collect, &s, &err), -1);
	assert_string_equal(err.msg, "stop at 7");
	buf_free(&s.b);

	struct {
		const char *text, *want;
	} bad[] = {
		{ "[a]\nnovalue\n", "x.ini:2: expected 'key = value' or '[section]', got 'novalue'" },
		{ "[a]\n= v\n", "x.ini:2: missing key before '='" },
		{ "\n[a\n", "x.ini:2: section header '[a' has no closing ']'" },
		{ "[]\n", "x.ini:1: bad section header '[]'" },
		{ "[a] b\n", "x.ini:1: unexpected text after [a]" },
		{ "[a]\nk = \"v\" w\n", "x.ini:2: unexpected text after the quoted value of 'k'" },
		{ "[a]\nk = 'v\n", "x.ini:2: unterminated quote in value of 'k'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct seen q = { { 0 }, -1 };
		assert_int_equal(ini_parse(bad[i].text, "x.ini", collect, &q, &err), -1);
		assert_string_equal(err.msg, bad[i].want);
		buf_free(&q.b);
	}
	/* Empty text and NULL err are fine. */
	struct seen q = { { 0 }, -1 };
	assert_int_equal(ini_parse("", "x.ini", collect, &q, NULL), 0);
	assert_int_equal(ini_parse("[a\n", "x.ini", collect, &q, NULL), -1);
	buf_free(&q.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_dirs_from_env),
		cmocka_unit_test(test_full_file_in_fleetop_home),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bad_load_changes_nothing),
		cmocka_unit_test(test_path_expand_home),
		cmocka_unit_test(test_ini),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
