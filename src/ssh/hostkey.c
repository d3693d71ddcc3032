/* Host key verification against known_hosts, as OpenSSH does it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_private.h"

static char *fingerprint(ssh_key key)
{
	unsigned char *hash = NULL;
	size_t len = 0;
	if (!key || ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) < 0)
		return xstrdup("(unknown)");
	char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
	ssh_clean_pubkey_hash(&hash);
	char *out = xstrdup(fp ? fp : "(unknown)");
	ssh_string_free_char(fp);
	return out;
}

static char *offered_fingerprint(ssh_session session, const char **type)
{
	ssh_key key = NULL;
	*type = "key";
	if (ssh_get_server_publickey(session, &key) < 0)
		return xstrdup("(unknown)");
	*type = ssh_key_type_to_char(ssh_key_type(key));
	char *fp = fingerprint(key);
	ssh_key_free(key);
	return fp;
}

/* The fingerprint known_hosts holds for this host (libssh reports only
 * that it changed). Hashed entries match too. */
static char *known_fingerprint(ssh_session session, const char *path)
{
	char *host = NULL;
	unsigned int port = 22;
	if (!path || ssh_options_get(session, SSH_OPTIONS_HOST, &host) < 0 || !host)
		return NULL;
	ssh_options_get_port(session, &port);
	char *name = port == 22 ? xstrdup(host) : xasprintf("[%s]:%u", host, port);
	ssh_string_free_char(host);
	char *out = NULL;
	FILE *f = fopen(path, "r");
	char line[8192];
	while (f && !out && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' || line[0] == '@')
			continue;
		struct ssh_knownhosts_entry *e = NULL;
		if (ssh_known_hosts_parse_line(name, line, &e) == SSH_OK && e && e->publickey)
			out = fingerprint(e->publickey);
		ssh_knownhosts_entry_free(e);
	}
	if (f)
		fclose(f);
	free(name);
	return out;
}

int hostkey_verify(ssh_session session, enum host_key_policy policy, enum host_fault *fault,
		   char *msg, size_t msglen)
{
	if (policy == HOST_KEY_OFF)
		return 0;
	enum ssh_known_hosts_e state = ssh_session_is_known_server(session);
	const char *type;
	char *offered;
	char *known_hosts = NULL;
	ssh_options_get(session, SSH_OPTIONS_KNOWNHOSTS, &known_hosts);
	const char *kh = known_hosts ? known_hosts : "known_hosts";
	int rc = -1;

	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER: {
		char *known = known_fingerprint(session, known_hosts);
		offered = offered_fingerprint(session, &type);
		*fault = FAULT_HOSTKEY_CHANGED;
		snprintf(msg, msglen,
			 "host key changed: known %s, offered %s %s; possible attack; if the host "
			 "was reinstalled, remove the old key from %s",
			 known ? known : "(unknown)", type, offered, kh);
		free(known);
		free(offered);
		break;
	}
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		offered = offered_fingerprint(session, &type);
		if (policy == HOST_KEY_ACCEPT_NEW) {
			if (ssh_session_update_known_hosts(session) == SSH_OK) {
				log_info("learned new host key %s %s into %s", type, offered, kh);
				rc = 0;
			} else {
				*fault = FAULT_HOSTKEY_UNKNOWN;
				snprintf(msg, msglen, "cannot add host key to %s: %s", kh,
					 ssh_get_error(session));
			}
		} else {
			*fault = FAULT_HOSTKEY_UNKNOWN;
			snprintf(msg, msglen,
				 "host key unknown (%s %s): not in %s; check it, then connect once "
				 "with --accept-new",
				 type, offered, kh);
		}
		free(offered);
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		*fault = FAULT_PROTOCOL;
		snprintf(msg, msglen, "cannot check host key: %s", ssh_get_error(session));
		break;
	}
	ssh_string_free_char(known_hosts);
	return rc;
}
