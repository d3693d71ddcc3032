/* A session's options, as `ssh HOST` would have them: ssh_config first
 * (Host blocks match the inventory name), then the inventory's
 * ansible_host/port/user, then fleetop.conf's files.
 * Reading an ssh_config can block: it may Include many files, and a
 * `Match exec` line runs a command and waits for it. So unless the config
 * is "none", a session is set up on a thread of its own, and the loop only
 * polls for the result; one that takes too long is abandoned (the thread
 * frees what it made when it ends) rather than waited for. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_private.h"

/* The settings and host fields a setup reads, copied: an abandoned thread
 * may outlive a reload of either. */
struct setup_in {
	char *name, *address, *user, *default_user, *config, *known_hosts;
	char *identities[SETTINGS_MAX_IDENTITIES];
	int nidentities;
	int port;
};

enum { JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

struct setup_job {
	struct setup_in in;
	ssh_session session;    /* the result, or NULL with err */
	struct error err;
	atomic_int state;       /* whoever moves it second frees the job */
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void in_make(struct setup_in *in, const struct host *h, const struct settings *s)
{
	in->name = xstrdup(h->name);
	in->address = dup_or_null(h->address);
	in->user = dup_or_null(h->user);
	in->port = h->port;
	in->default_user = dup_or_null(s->user);
	/* NULL: ~/.ssh/config then /etc/ssh/ssh_config, as ssh does; "none": no file. */
	in->config = s->ssh_config && !strcmp(s->ssh_config, "none") ? xstrdup("/dev/null")
								     : dup_or_null(s->ssh_config);
	in->known_hosts = dup_or_null(s->known_hosts);
	in->nidentities = s->nidentities;
	for (int i = 0; i < s->nidentities; i++)
		in->identities[i] = xstrdup(s->identities[i]);
}

static void in_free(struct setup_in *in)
{
	free(in->name);
	free(in->address);
	free(in->user);
	free(in->default_user);
	free(in->config);
	free(in->known_hosts);
	for (int i = 0; i < in->nidentities; i++)
		free(in->identities[i]);
}

/* libssh 0.10 turns ProxyJump into the ProxyCommand
 *   ssh [-l USER] [-p PORT] [-J NEXT] -W '[%h]:%p' JUMP
 * for the system's ssh to run, which resolves JUMP from ~/.ssh/config: an
 * alias that only our ssh_config file defines would not resolve, and the
 * jump's User, Port, IdentityFile and known_hosts would be another file's.
 * `ssh -F FILE HOST` hands FILE on to its jump (OpenSSH adds -F itself);
 * so do we, to every hop, since the child's -J hops read the same -F. */
static int session_jump_config(ssh_session ss, const char *config, struct error *err)
{
	char *proxy = NULL;
	int rc = 0;
	if (ssh_options_get(ss, SSH_OPTIONS_PROXYCOMMAND, &proxy) != SSH_OK || !proxy)
		return 0;
	if (str_starts_with(proxy, "ssh ") && strstr(proxy, " -W '[%h]:%p' ")) {
		/* Quoted for /bin/sh -c; '%' doubled for libssh's own expansion. */
		struct buf cmd = { 0 };
		buf_puts(&cmd, "ssh -F '");
		for (const char *p = config; *p; p++) {
			if (*p == '\'')
				buf_puts(&cmd, "'\\''");
			else if (*p == '%')
				buf_puts(&cmd, "%%");
			else
				buf_append(&cmd, p, 1);
		}
		buf_puts(&cmd, "'");
		buf_puts(&cmd, proxy + 3);
		if (ssh_options_set(ss, SSH_OPTIONS_PROXYCOMMAND, cmd.data) < 0)
			rc = error_set(err, "libssh refused the ProxyJump command for %s: %s", config,
				       ssh_get_error(ss));
		buf_free(&cmd);
	}
	ssh_string_free_char(proxy);
	return rc;
}

/* Every ssh_options_set is checked: going on after a refusal would connect
 * with whatever libssh had before (another address, port or user). */
static int setup_options(ssh_session ss, const struct setup_in *in, struct error *err)
{
	int off = 0;
	if (ssh_options_set(ss, SSH_OPTIONS_LOG_VERBOSITY, &off) < 0)
		return error_set(err, "libssh refused its log level: %s", ssh_get_error(ss));
	if (ssh_options_set(ss, SSH_OPTIONS_HOST, in->name) < 0)
		return error_set(err, "libssh refused host name '%s': %s", in->name,
				 ssh_get_error(ss));
	if (ssh_options_parse_config(ss, in->config) < 0)
		return error_set(err, "cannot read ssh config %s: %s",
				 in->config ? in->config : "~/.ssh/config", ssh_get_error(ss));
	if (in->config && strcmp(in->config, "/dev/null") != 0 &&
	    session_jump_config(ss, in->config, err) < 0)
		return -1;
	if (in->address && ssh_options_set(ss, SSH_OPTIONS_HOST, in->address) < 0)
		return error_set(err, "ansible_host '%s' refused by libssh: %s", in->address,
				 ssh_get_error(ss));
	if (in->port > 0 && ssh_options_set(ss, SSH_OPTIONS_PORT, &in->port) < 0)
		return error_set(err, "ansible_port %d refused by libssh: %s", in->port,
				 ssh_get_error(ss));
	if (in->user) {
		if (ssh_options_set(ss, SSH_OPTIONS_USER, in->user) < 0)
			return error_set(err, "ansible_user '%s' refused by libssh: %s", in->user,
					 ssh_get_error(ss));
	} else if (in->default_user) {
		char *user = NULL;
		int rc = 0;
		if (ssh_options_get(ss, SSH_OPTIONS_USER, &user) < 0 || !user)
			rc = ssh_options_set(ss, SSH_OPTIONS_USER, in->default_user);
		ssh_string_free_char(user);
		if (rc < 0)
			return error_set(err, "user '%s' of fleetop.conf refused by libssh: %s",
					 in->default_user, ssh_get_error(ss));
	}
	if (in->known_hosts && ssh_options_set(ss, SSH_OPTIONS_KNOWNHOSTS, in->known_hosts) < 0)
		return error_set(err, "known_hosts %s refused by libssh: %s", in->known_hosts,
				 ssh_get_error(ss));
	for (int i = in->nidentities - 1; i >= 0; i--)
		if (ssh_options_set(ss, SSH_OPTIONS_IDENTITY, in->identities[i]) < 0)
			return error_set(err, "identity %s refused by libssh: %s", in->identities[i],
					 ssh_get_error(ss));
	ssh_set_blocking(ss, 0);
	return 0;
}

static ssh_session setup_run(const struct setup_in *in, struct error *err)
{
	ssh_session ss = ssh_new();
	if (!ss) {
		error_set(err, "cannot create SSH session");
		return NULL;
	}
	if (setup_options(ss, in, err) < 0) {
		ssh_free(ss);
		return NULL;
	}
	return ss;
}

static void job_free(struct setup_job *j)
{
	if (j->session)
		ssh_free(j->session);
	in_free(&j->in);
	free(j);
}

static void *job_thread(void *arg)
{
	struct setup_job *j = arg;
	j->session = setup_run(&j->in, &j->err);
	if (atomic_exchange(&j->state, JOB_DONE) == JOB_ABANDONED)
		job_free(j);
	return NULL;
}

bool setup_may_block(const struct settings *s)
{
	return !s->ssh_config || (strcmp(s->ssh_config, "none") != 0 &&
				  strcmp(s->ssh_config, "/dev/null") != 0);
}

ssh_session setup_session(const struct host *h, const struct settings *s, struct error *err)
{
	struct setup_in in = { 0 };
	in_make(&in, h, s);
	ssh_session ss = setup_run(&in, err);
	in_free(&in);
	return ss;
}

struct setup_job *setup_job_start(const struct host *h, const struct settings *s,
				  struct error *err)
{
	struct setup_job *j = xcalloc(1, sizeof *j);
	in_make(&j->in, h, s);
	atomic_init(&j->state, JOB_RUNNING);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	int rc = pthread_create(&t, &attr, job_thread, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		job_free(j);
		error_set(err, "cannot start a thread to read the ssh config: %s", strerror(rc));
		return NULL;
	}
	return j;
}

int setup_job_poll(struct setup_job *j, ssh_session *out, struct error *err)
{
	if (atomic_load(&j->state) != JOB_DONE)
		return 0;
	*out = j->session;
	j->session = NULL;
	if (!*out)
		*err = j->err;
	job_free(j);
	return 1;
}

void setup_job_abandon(struct setup_job *j)
{
	if (atomic_exchange(&j->state, JOB_ABANDONED) == JOB_DONE)
		job_free(j);
}
