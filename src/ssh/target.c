/* Where a host's session goes, checked before libssh sees it. libssh takes
 * "user@host" in a host name as a user, and ProxyCommand puts %h and %r
 * into a shell command line, so an inventory value with a space, a shell
 * character or a leading '-' would connect somewhere else (or run
 * something) instead of failing. The rules are OpenSSH's (valid_hostname,
 * valid_ruser), plus '@' in a host name and control characters anywhere. */
#include <stdio.h>
#include <string.h>

#include "fleetop/ssh.h"

#define TARGET_MAX 255

/* The first thing wrong with value as what (a host name or user), or NULL. */
static const char *target_fault(const char *value, bool is_host, char *why, size_t whylen)
{
	size_t len = strlen(value);
	if (len == 0)
		return "is empty";
	if (len > TARGET_MAX) {
		snprintf(why, whylen, "is %zu characters long (at most %d)", len, TARGET_MAX);
		return why;
	}
	if (value[0] == '-')
		return "starts with '-' (ssh would read it as an option)";
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == ' ' || *p == '\t')
			return "contains whitespace";
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(why, whylen, "contains the control character 0x%02x", *p);
			return why;
		}
		if (strchr("'`\"$\\;&<>|(){}", *p)) {
			snprintf(why, whylen, "contains the shell character '%c'", *p);
			return why;
		}
		if (is_host && *p == '@')
			return "contains '@' (put the user in ansible_user)";
	}
	return NULL;
}

/* value as it may be shown: printable ASCII only, cut short. */
static void shown(const char *value, char *out, size_t outlen)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)value; *p && n + 5 < outlen; p++) {
		if (n >= 40) {
			snprintf(out + n, outlen - n, "...");
			return;
		}
		if (*p < 0x20 || *p >= 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
}

int ssh_target_check(const struct host *h, struct error *err)
{
	char why[64], v[64];
	const char *fault;
	if ((fault = target_fault(h->name, true, why, sizeof why))) {
		shown(h->name, v, sizeof v);
		return error_set(err, "host name '%s' %s; rename it in the inventory", v, fault);
	}
	if (h->address && (fault = target_fault(h->address, true, why, sizeof why))) {
		shown(h->address, v, sizeof v);
		return error_set(err, "host %s: ansible_host '%s' %s; fix it in the inventory",
				 h->name, v, fault);
	}
	if (h->user && (fault = target_fault(h->user, false, why, sizeof why))) {
		shown(h->user, v, sizeof v);
		return error_set(err, "host %s: ansible_user '%s' %s; fix it in the inventory",
				 h->name, v, fault);
	}
	if (h->port < 0 || h->port > 65535)
		return error_set(err, "host %s: ansible_port %d is not a port (1-65535); fix it in "
				 "the inventory", h->name, h->port);
	return 0;
}
