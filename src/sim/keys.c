/* Keys on disk: the client key every simulated host accepts, and one host
 * key per host. Made once and reused, so a known_hosts written on an
 * earlier run (or learned by a console) stays valid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_private.h"

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Loads an ed25519 private key, or makes one and writes it (0600). A
 * disposable key (a host key) that cannot be read is made anew; the client
 * key is the user's to fix. */
static int load_or_make(const char *path, ssh_key *out, bool *made, bool disposable,
			struct error *err)
{
	*made = false;
	if (file_exists(path)) {
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, out) == SSH_OK)
			return 0;
		if (!disposable)
			return error_set(err, "%s: not a readable private key (delete it to make a new one)",
					 path);
		log_warn("%s: not a readable key; making a new one (known_hosts is rewritten)", path);
	}
	ssh_key key = NULL;
	char *b64 = NULL;
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
		return error_set(err, "%s: cannot generate an ed25519 key", path);
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) != SSH_OK) {
		ssh_key_free(key);
		return error_set(err, "%s: cannot encode the new key", path);
	}
	/* No fsync for a disposable key: a thousand host keys with a sync
	 * each take seconds, and one lost in a crash is made again. */
	int rc = file_write_atomic_sync(path, b64, strlen(b64), 0600, !disposable, err);
	ssh_string_free_char(b64);
	if (rc < 0) {
		ssh_key_free(key);
		return -1;
	}
	*out = key;
	*made = true;
	return 0;
}

/* "ssh-ed25519 AAAA..." of a key (private or public); caller frees. */
static char *pub_line(ssh_key key)
{
	char *b64 = NULL;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return NULL;
	char *line = xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(key)), b64);
	ssh_string_free_char(b64);
	return line;
}

static void add_authorized(struct sim *s, ssh_key key)
{
	s->authorized = xrealloc(s->authorized, (size_t)(s->nauthorized + 1) * sizeof *s->authorized);
	s->authorized[s->nauthorized++] = key;
}

/* authorized_keys: one "type base64 [comment]" a line; options are not
 * understood, so such lines are skipped with a warning. */
static int read_authorized(struct sim *s, const char *path, struct error *err)
{
	char *text;
	if (file_read_all(path, &text, NULL, err) < 0)
		return -1;
	int lineno = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line = str_trim(line);
		if (!*line || *line == '#')
			continue;
		char *type = line, *b64 = strpbrk(line, " \t");
		if (!b64) {
			log_warn("%s:%d: no key, skipped", path, lineno);
			continue;
		}
		*b64++ = '\0';
		b64 += strspn(b64, " \t");
		b64[strcspn(b64, " \t")] = '\0';
		enum ssh_keytypes_e kt = ssh_key_type_from_name(type);
		ssh_key key = NULL;
		if (kt == SSH_KEYTYPE_UNKNOWN || ssh_pki_import_pubkey_base64(b64, kt, &key) != SSH_OK) {
			log_warn("%s:%d: not a public key this simulator reads, skipped", path, lineno);
			continue;
		}
		add_authorized(s, key);
	}
	free(text);
	return 0;
}

static int client_key(struct sim *s, struct error *err)
{
	char *path = xasprintf("%s/id_ed25519", s->dir);
	char *pub_path = xasprintf("%s/id_ed25519.pub", s->dir);
	char *auth_path = xasprintf("%s/authorized_keys", s->dir);
	ssh_key key = NULL, pub = NULL;
	char *line = NULL;
	bool made;
	int rc = -1;
	if (load_or_make(path, &key, &made, false, err) < 0)
		goto out;
	/* ssh refuses a private key others can read. */
	if (chmod(path, 0600) < 0) {
		error_set(err, "%s: chmod: %s", path, strerror(errno));
		goto out;
	}
	line = pub_line(key);
	if (!line || ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK) {
		error_set(err, "%s: cannot derive the public key", path);
		goto out;
	}
	if (made || !file_exists(pub_path)) {
		char *text = xasprintf("%s fleetop-sim\n", line);
		int w = file_write_atomic(pub_path, text, strlen(text), 0644, err);
		free(text);
		if (w < 0)
			goto out;
	}
	if (!file_exists(auth_path)) {
		char *text = xasprintf("# keys the simulated hosts accept, besides id_ed25519\n"
				       "%s fleetop-sim\n", line);
		int w = file_write_atomic(auth_path, text, strlen(text), 0644, err);
		free(text);
		if (w < 0)
			goto out;
	}
	add_authorized(s, pub);
	pub = NULL;
	if (read_authorized(s, auth_path, err) < 0)
		goto out;
	rc = 0;
out:
	ssh_key_free(key);
	ssh_key_free(pub);
	free(line);
	free(path);
	free(pub_path);
	free(auth_path);
	return rc;
}

static int host_key(struct sim *s, struct sim_host *h, struct error *err)
{
	ssh_key key = NULL;
	bool made;
	h->key_path = xasprintf("%s/hostkeys/host-%04d", s->dir, h->idx);
	if (load_or_make(h->key_path, &key, &made, true, err) < 0)
		return -1;
	if (ssh_key_type(key) != SSH_KEYTYPE_ED25519) {
		ssh_key_free(key);
		return error_set(err, "%s: not an ed25519 key", h->key_path);
	}
	char *b64 = NULL;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		ssh_key_free(key);
		return error_set(err, "%s: cannot export the public key", h->key_path);
	}
	h->pubkey_b64 = xstrdup(b64);
	ssh_string_free_char(b64);
	h->bind = ssh_bind_new();
	if (!h->bind) {
		ssh_key_free(key);
		return error_set(err, "sim: out of memory");
	}
	/* The bind takes the key over. */
	if (ssh_bind_options_set(h->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
		ssh_key_free(key);
		return error_set(err, "%s: %s", h->key_path, ssh_get_error(h->bind));
	}
	return 0;
}

int sim_keys_load(struct sim *s, struct error *err)
{
	char *dir = xasprintf("%s/hostkeys", s->dir);
	int rc = mkdir_p(dir, 0700, err);
	free(dir);
	if (rc < 0 || client_key(s, err) < 0)
		return -1;
	for (int i = 0; i < s->nhosts; i++)
		if (host_key(s, &s->hosts[i], err) < 0)
			return -1;
	return 0;
}
